"""Read-only admin for the ledger: staff may look, never add, change or delete
(only `linli.ledger.services` writes these tables; transfers and entries are append-only)."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from linli.ledger.models import Account, Checkpoint, Entry, Journal, Transfer


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Account)
class AccountAdmin(ReadOnlyAdmin):
    list_display = ("id", "community", "kind", "asset", "owner_type", "owner_id", "version")
    list_filter = ("kind", "asset", "community")


@admin.register(Journal)
class JournalAdmin(ReadOnlyAdmin):
    list_display = ("seq", "community", "code", "status", "created_at", "actor")
    list_filter = ("status", "code", "community")
    search_fields = ("idempotency_key", "memo")


@admin.register(Transfer)
class TransferAdmin(ReadOnlyAdmin):
    list_display = ("seq", "leg_no", "kind", "asset", "debit_account", "credit_account", "amount")
    list_filter = ("kind", "asset")


@admin.register(Entry)
class EntryAdmin(ReadOnlyAdmin):
    list_display = ("account", "account_version", "delta", "pending_delta", "balance_after")


@admin.register(Checkpoint)
class CheckpointAdmin(ReadOnlyAdmin):
    list_display = ("community", "tree_size", "root_hash", "created_at")
