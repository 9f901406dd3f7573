"""PIPL rights: a member exports their data (JSON) and closes their account. Closing keeps
the ledger rows (they name an account id, never a person) and removes the personal data;
it also ends the member's household covers and open invitations (as covered member and as
holder), retires their printed card and replaces their card's secret."""

from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from linli.commerce import cards
from linli.commerce.models import MemberCard
from linli.communities.audit import audit_record
from linli.communities.models import CommunityRole
from linli.errors import Conflict
from linli.members import pii
from linli.members.models import (
    Consent,
    CoverStatus,
    DiamondDividendShare,
    FoundingApplication,
    GroupMembership,
    HouseholdCover,
    Member,
    Membership,
    MembershipStatus,
    Notice,
)
from linli.members.notices import notice_send, notice_text

CLOSED_NAME = "—"


class RefundFirst(Conflict):
    code = "refund_first"


def _at(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def _cover_out(cover: HouseholdCover, *, role: str, other: Member) -> dict[str, Any]:
    """One cover; `role` names the other person ("member" covered, or the "holder"),
    whose name is theirs: masked, as on the household page."""
    return {
        "membership_id": cover.membership_id,
        "status": cover.status,
        "invited_at": _at(cover.invited_at),
        "decided_at": _at(cover.decided_at),
        "removed_at": _at(cover.removed_at),
        role: pii.mask_name(other.display_name),
    }


def _household_export(member: Member) -> dict[str, list[dict[str, Any]]]:
    """The family packages the member holds (whom they cover) and those covering them."""
    covers = HouseholdCover.objects.select_related("member", "membership__member").order_by("id")
    return {
        "as_holder": [
            _cover_out(c, role="member", other=c.member)
            for c in covers.filter(membership__member=member)
        ],
        "as_member": [
            _cover_out(c, role="holder", other=c.membership.member)
            for c in covers.filter(member=member)
        ],
    }


def _card_export(member: Member) -> dict[str, Any] | None:
    """The member card: status and masked numbers. Its secret is a key, not data about the
    member, and is never exported."""
    card = MemberCard.objects.filter(member=member).first()
    if card is None:
        return None
    return {
        "status": "retired" if member.closed_at else "active",
        "opened_at": _at(card.created_at),
        "printed_card_number": pii.mask_card_number(card.card_number),
        "printed_card_status": "issued" if card.card_number else "none",
        "printed_cards_reported_lost": [
            {"number": pii.mask_card_number(r.number), "at": _at(r.retired_at)}
            for r in card.retired_numbers.order_by("id")
        ],
        "code_replaced_at": [_at(r.retired_at) for r in card.retired_codes.order_by("id")],
    }


def _founding_export(member: Member) -> list[dict[str, Any]]:
    """The member's own applications for a founding place: what they wrote, the outcome
    and its reason (the deciding operator is not named: that is the operator's data)."""
    return [
        {
            "status": a.status,
            "motivation": a.motivation,
            "contribution": a.contribution,
            "decision_reason": a.reason,
            "applied_at": _at(a.created_at),
            "decided_at": _at(a.decided_at),
        }
        for a in FoundingApplication.objects.filter(member=member).order_by("id")
    ]


def _dividends_export(member: Member) -> list[dict[str, Any]]:
    """Diamond dividend shares paid to the member's wallet, one per quarter."""
    shares = DiamondDividendShare.objects.filter(member=member).select_related("dividend")
    return [
        {
            "quarter": s.dividend.quarter,
            "amount_fen": s.amount_fen,
            "paid_at": _at(s.dividend.created_at),
            "approval_ref": s.dividend.approval_ref,
        }
        for s in shares.order_by("dividend__created_at", "id")
    ]


def _household_end(member: Member, now: datetime) -> int:
    """End the member's covers and open invitations, as covered member and as holder; the
    people their packages covered are told (their card needs a membership again)."""
    open_covers = HouseholdCover.objects.filter(
        status__in=(CoverStatus.INVITED, CoverStatus.COVERED)
    )
    covered_by_them = list(
        open_covers.filter(membership__member=member, status=CoverStatus.COVERED)
        .exclude(member=member)
        .select_related("member")
    )
    ended = open_covers.filter(membership__member=member).update(
        status=CoverStatus.REMOVED, removed_at=now
    ) + open_covers.filter(member=member).update(status=CoverStatus.REMOVED, removed_at=now)
    for cover in covered_by_them:
        notice_send(member=cover.member, kind="household_removed", params={})
    return ended


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
        "household": _household_export(member),
        "member_card": _card_export(member),
        "founding_applications": _founding_export(member),
        "diamond_dividends_received": _dividends_export(member),
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
        covers_ended = _household_end(locked, now)
        cards.card_close(member=locked)
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
            actor=None,
            action="member.close",
            target=locked,
            after={"closed_at": now.isoformat(), "household_covers_ended": covers_ended},
        )
    return locked
