"""Household cards for family packages (issue 6 "Household cards for family packages").

Every member covered by a family package has a card of their own — the rotating code on
their phone, or a printed card number + PIN — bound to *themselves*, never to the holder:
the till then shows the right masked name, the per-person limits and the PIN's daily cap
apply to each person, and cash-back is earned into the wallet of the member who bought
(a refund reverses it from the same wallet, which a shared payer wallet would break).
What the package shares is the membership itself: `membership_current` finds the package
for every covered member (members.services.household).

Here: the till refuses a card whose household cover ended (removed, package refunded or
lapsed) unless the member holds their own membership, and the holder issues or replaces
(suspends as lost) the printed cards of the household.
"""

from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from linli.commerce import cards, errors
from linli.commerce.models import MemberCard, RetiredCardNumber
from linli.communities.audit import audit_record
from linli.members import pii
from linli.members.errors import HouseholdMemberInvalid
from linli.members.models import CoverStatus, HouseholdCover, Member
from linli.members.selectors import family_package_held, membership_current


def till_cover_check(*, member: Member, now: datetime) -> None:
    """At prepare and consume: a member who was on a family package and is on none now
    (nor has their own membership) is refused with `household_not_covered`. Members who
    never relied on a package are not affected. One indexed EXISTS on the common path."""
    relied = HouseholdCover.objects.filter(member_id=member.id, covered_once=True).exists()
    if relied and membership_current(member=member, today=timezone.localdate(now)) is None:
        raise errors.HouseholdNotCovered()


def _card_holder_target(*, holder: Member, member_id: Any, now: datetime) -> Member:
    """The holder themselves or a member the holder's package covers now."""
    package = family_package_held(member=holder, today=timezone.localdate(now))
    if not isinstance(member_id, int) or isinstance(member_id, bool) or member_id < 1:
        raise HouseholdMemberInvalid()
    if member_id == holder.id:
        return holder
    cover = (
        HouseholdCover.objects.filter(
            membership=package, member_id=member_id, status=CoverStatus.COVERED
        )
        .select_related("member")
        .first()
    )
    if cover is None or cover.member.closed_at is not None:
        raise HouseholdMemberInvalid()
    return cover.member


def printed_card_renew(
    *, holder: Member, member_id: Any, current_last4: str = "", now: datetime | None = None
) -> tuple[str, str, bool]:
    """Issue a household member's printed card, or replace one reported lost: the old
    number is kept as retired (the till answers `card_suspended`) and a new number + PIN
    are returned, shown once. `current_last4` names the card being replaced ("" for a
    first card), so a retried request cannot retire the card it has just issued."""
    now = now or timezone.now()
    target = _card_holder_target(holder=holder, member_id=member_id, now=now)
    with transaction.atomic():
        card = MemberCard.objects.select_for_update().get(pk=cards.card_ensure(member=target).pk)
        old = card.card_number or ""
        if (old[-4:] if old else "") != (current_last4 if isinstance(current_last4, str) else ""):
            raise errors.CardNumberChanged()
        if old:
            RetiredCardNumber.objects.create(
                community_id=card.community_id, card=card, number=old, retired_by=holder.user
            )
        number, pin = cards.printed_card_issue(member=target)
        audit_record(
            actor=holder.user,
            action="household.card_replace" if old else "household.card_issue",
            target=card,
            before={"card_number": pii.mask_card_number(old)},
            after={"card_number": pii.mask_card_number(number)},
        )
    return number, pin, bool(old)
