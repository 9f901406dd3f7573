"""Read-only admin for the merchant alliance: every write goes through the services
(seats, deposits and fines touch the ledger and the audit log), so staff may only look."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from linli.merchants.models import (
    Complaint,
    Hearing,
    Industry,
    Merchant,
    MerchantApplication,
    QuarterlyScore,
    Violation,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Industry)
class IndustryAdmin(ReadOnlyAdmin):
    list_display = ("code", "name", "parent", "community")
    list_filter = ("community",)


@admin.register(MerchantApplication)
class ApplicationAdmin(ReadOnlyAdmin):
    list_display = ("business_name", "industry", "status", "submitted_at", "community")
    list_filter = ("status", "community")
    search_fields = ("business_name", "licence_no")


@admin.register(Merchant)
class MerchantAdmin(ReadOnlyAdmin):
    list_display = ("name", "industry", "status", "admitted_at", "red_listed_at", "community")
    list_filter = ("status", "community")
    search_fields = ("name", "licence_no")


@admin.register(Complaint)
class ComplaintAdmin(ReadOnlyAdmin):
    list_display = ("id", "merchant", "status", "compensation_fen", "created_at")
    list_filter = ("status",)


@admin.register(Violation)
class ViolationAdmin(ReadOnlyAdmin):
    list_display = ("id", "merchant", "description", "fine_units", "created_at")


@admin.register(QuarterlyScore)
class QuarterlyScoreAdmin(ReadOnlyAdmin):
    list_display = ("quarter", "rank", "merchant", "score", "marked_for_replacement")
    list_filter = ("quarter", "community")


@admin.register(Hearing)
class HearingAdmin(ReadOnlyAdmin):
    list_display = ("id", "merchant", "reason", "quarter", "status")
    list_filter = ("status",)
