"""Read-only admin for membership: every write goes through the services (fees, refunds and
referral rewards touch the ledger and the audit log), so platform staff may only look.

Personal data (PIPL): the admin never decrypts. Ciphertexts and lookup hashes are not
shown at all; a phone appears as `*******` plus the last four digits kept in clear for
exactly this purpose, and an ID number only as "verified" with the identity backend.
SMS codes, the console SMS log (it holds codes) and API tokens are not registered.
"""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from linli.members.models import (
    AdmissionApplication,
    Charter,
    Consent,
    Entitlement,
    FeePayment,
    FeeRecognition,
    FeeRefund,
    GiftPack,
    GroupMembership,
    Household,
    InterestGroup,
    Member,
    Membership,
    Notice,
    Referral,
    TierChange,
)

PII_FIELDS = (
    "phone_cipher",
    "phone_hash",
    "real_name_cipher",
    "id_number_cipher",
    "id_hash",
)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.display(description=_("phone"))
def phone_masked(member: Member) -> str:
    """Masked from the stored last four digits: nothing is decrypted here."""
    return f"*******{member.phone_last4}" if member.phone_last4 else ""


@admin.display(description=_("real name verified"), boolean=True)
def is_verified(member: Member) -> bool:
    return member.verified_at is not None


@admin.register(Member)
class MemberAdmin(ReadOnlyAdmin):
    list_display = (
        "id",
        "display_name",
        phone_masked,
        is_verified,
        "tier",
        "is_founding",
        "community",
        "closed_at",
    )
    list_filter = ("community", "tier", "is_founding")
    search_fields = ("display_name", "referral_code")
    exclude = PII_FIELDS
    readonly_fields = ("phone_masked", "is_verified")

    @admin.display(description=_("phone"))
    def phone_masked(self, member: Member) -> str:
        return phone_masked(member)

    @admin.display(description=_("real name verified"), boolean=True)
    def is_verified(self, member: Member) -> bool:
        return is_verified(member)


@admin.register(Household)
class HouseholdAdmin(ReadOnlyAdmin):
    list_display = ("id", "unit_label", "building", "community", "created_at")
    list_filter = ("community",)


@admin.register(Consent)
class ConsentAdmin(ReadOnlyAdmin):
    list_display = ("id", "member", "purpose", "granted", "at")
    list_filter = ("purpose", "granted")


@admin.register(Charter)
class CharterAdmin(ReadOnlyAdmin):
    list_display = ("id", "community", "version", "published_at")
    list_filter = ("community",)


@admin.register(Membership)
class MembershipAdmin(ReadOnlyAdmin):
    list_display = (
        "id",
        "member",
        "plan",
        "status",
        "fee_fen",
        "starts_on",
        "ends_on",
        "recognised_fen",
        "refunded_fen",
    )
    list_filter = ("community", "status", "plan")
    search_fields = ("payment_reference",)


@admin.register(FeePayment)
class FeePaymentAdmin(ReadOnlyAdmin):
    list_display = ("id", "membership", "amount_fen", "method", "confirmed_by", "confirmed_at")
    list_filter = ("method",)


@admin.register(FeeRefund)
class FeeRefundAdmin(ReadOnlyAdmin):
    list_display = ("id", "membership", "amount_fen", "is_full", "actor", "at")


@admin.register(FeeRecognition)
class FeeRecognitionAdmin(ReadOnlyAdmin):
    list_display = ("id", "membership", "month", "amount_fen")


@admin.register(Entitlement)
class EntitlementAdmin(ReadOnlyAdmin):
    list_display = ("id", "membership", "kind", "used", "total")


@admin.register(Referral)
class ReferralAdmin(ReadOnlyAdmin):
    list_display = ("id", "referrer", "referee", "status", "qualified_by", "created_at")
    list_filter = ("community", "status")


@admin.register(Notice)
class NoticeAdmin(ReadOnlyAdmin):
    list_display = ("id", "member", "kind", "is_marketing", "created_at", "read_at")
    list_filter = ("kind", "is_marketing")


@admin.register(TierChange)
class TierChangeAdmin(ReadOnlyAdmin):
    list_display = ("id", "member", "tier_from", "tier_to", "at")
    list_filter = ("community", "tier_to")


@admin.register(InterestGroup)
class InterestGroupAdmin(ReadOnlyAdmin):
    list_display = ("id", "name", "community", "created_at")
    list_filter = ("community",)


@admin.register(GroupMembership)
class GroupMembershipAdmin(ReadOnlyAdmin):
    list_display = ("id", "group", "member", "joined_at")


@admin.register(GiftPack)
class GiftPackAdmin(ReadOnlyAdmin):
    list_display = ("code", "household", "member", "store_name", "value_fen", "claimed_at")


@admin.register(AdmissionApplication)
class AdmissionApplicationAdmin(ReadOnlyAdmin):
    list_display = ("id", "member", "status", "decided_by", "decided_at", "created_at")
    list_filter = ("community", "status")
