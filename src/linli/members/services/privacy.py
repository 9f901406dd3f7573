"""PIPL rights: a member exports their data (JSON) and closes their account. Closing keeps
the ledger rows (they name an account id, never a person) and removes the personal data."""

from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from linli.communities.audit import audit_record
from linli.communities.models import CommunityRole
from linli.errors import Conflict
from linli.members import pii
from linli.members.models import (
    Consent,
    FoundingApplication,
    GroupMembership,
    Member,
    Membership,
    MembershipStatus,
    Notice,
)
from linli.members.notices import notice_text

CLOSED_NAME = "—"


class RefundFirst(Conflict):
    code = "refund_first"


def member_export(*, member: Member) -> dict[str, Any]:
    """Everything we hold about the member, in clear (it is their own)."""
    memberships = Membership.objects.filter(member=member).order_by("id")
    return {
        "member": {
            "id": member.id,
            "community": member.community.slug,
            "display_name": member.display_name,
            "phone": pii.decrypt(member.phone_cipher),
            "real_name": pii.decrypt(member.real_name_cipher),
            "id_number": pii.decrypt(member.id_number_cipher),
            "birth_date": member.birth_date.isoformat() if member.birth_date else None,
            "building": member.building.name if member.building else None,
            "flat": member.household.unit_label if member.household else None,
            "referral_code": member.referral_code,
            "tier": member.tier,
            "marketing_opt_in": member.marketing_opt_in,
            "joined_at": member.created_at.isoformat(),
        },
        "consents": [
            {"purpose": c.purpose, "granted": c.granted, "at": c.at.isoformat()}
            for c in Consent.objects.filter(member=member).order_by("id")
        ],
        "memberships": [
            {
                "id": m.id,
                "plan": m.plan,
                "status": m.status,
                "fee_fen": m.fee_fen,
                "starts_on": str(m.starts_on or ""),
                "ends_on": str(m.ends_on or ""),
                "charter_version": m.charter.version,
                "charter_accepted_at": m.charter_accepted_at.isoformat(),
                "refunded_fen": m.refunded_fen,
            }
            for m in memberships
        ],
        "notices": [
            {"at": n.created_at.isoformat(), "text": notice_text(n)}
            for n in Notice.objects.filter(member=member).order_by("id")
        ],
    }


def member_close(*, member: Member, now: datetime | None = None) -> Member:
    """Close the account: personal data removed, login disabled, ledger rows kept with an
    anonymous owner. An unrefunded paid membership must be refunded first (its money)."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = Member.objects.select_for_update().get(pk=member.pk)
        if locked.closed_at is not None:
            return locked
        if Membership.objects.filter(
            member=locked, status=MembershipStatus.ACTIVE, fee_fen__gt=0, ends_on__gt=now.date()
        ).exists():
            raise RefundFirst()
        Membership.objects.filter(member=locked, status=MembershipStatus.AWAITING_PAYMENT).update(
            status=MembershipStatus.CANCELLED
        )
        GroupMembership.objects.filter(member=locked).delete()
        Notice.objects.filter(member=locked).delete()
        FoundingApplication.objects.filter(member=locked).update(motivation="", contribution="")
        for field in (
            "phone_cipher",
            "phone_last4",
            "real_name_cipher",
            "id_number_cipher",
            "founding_reason",
            "identity_backend",
        ):
            setattr(locked, field, "")
        locked.phone_hash = None
        locked.id_hash = None
        locked.birth_date = None
        locked.building = None
        locked.household = None
        locked.display_name = CLOSED_NAME
        locked.marketing_opt_in = False
        locked.referral_code = None
        locked.closed_at = now
        locked.save()
        user = locked.user
        user.is_active = False
        user.username = f"closed-{locked.id}"
        user.first_name = user.last_name = user.email = ""
        user.set_unusable_password()
        user.save()
        CommunityRole.objects.filter(user=user).delete()
        audit_record(
            actor=None, action="member.close", target=locked, after={"closed_at": now.isoformat()}
        )
    return locked
