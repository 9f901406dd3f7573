"""A renewed family package: it starts with the running package's covers and open
invitations, and every invitation, answer and removal made before it starts follows it,
so the household on the day it starts is the one of the day before (docs/commerce.md)."""

from datetime import datetime, timedelta
from datetime import time as clock

import pytest
from django.utils import timezone

from linli.commerce.household_selectors import household_page
from linli.members import errors
from linli.members.models import CoverStatus, HouseholdCover, Membership
from linli.members.selectors import membership_current
from linli.members.services.household import cover_answer, cover_invite, cover_remove
from tests.commerce import test_household
from tests.commerce.test_household import pay, places, resident
from tests.members.test_fees import apply

family = test_household.family
_pii_key = test_household._pii_key

pytestmark = pytest.mark.django_db


def _noon(day) -> datetime:
    return timezone.make_aware(datetime.combine(day, clock(12)))


def _renew(family, days_before_end: int = 10) -> tuple[Membership, datetime]:
    """The holder renews `days_before_end` days before the running package ends."""
    now = _noon(family.package.ends_on - timedelta(days=days_before_end))
    renewal = apply(family.holder, plan="family", now=now)
    from linli.members.services import fee_payment_confirm

    fee_payment_confirm(
        membership=renewal, amount_fen=renewal.fee_fen, method="cash",
        idempotency_key="renew", actor=family.operator, now=now,
    )  # fmt: skip
    renewal.refresh_from_db()
    assert renewal.starts_on == family.package.ends_on
    return renewal, now


def _status(package, member) -> str | None:
    cover = HouseholdCover.objects.filter(membership=package, member=member).first()
    return cover.status if cover else None


def _covered_on(member, day) -> Membership | None:
    return membership_current(member=member, today=day)


def test_a_renewal_carries_covers_and_open_invitations(family):
    child = resident(family, "张小宝")
    cover_invite(holder=family.holder, member_id=child.id)
    renewal, _now = _renew(family)
    assert _status(renewal, family.spouse) == CoverStatus.COVERED
    assert _status(renewal, child) == CoverStatus.INVITED


def test_a_removal_before_the_renewal_starts_follows_it(family):
    renewal, now = _renew(family)
    cover_remove(holder=family.holder, member_id=family.spouse.id, now=now + timedelta(days=1))
    assert _status(renewal, family.spouse) == CoverStatus.REMOVED
    assert _covered_on(family.spouse, renewal.starts_on) is None
    assert _covered_on(family.spouse, renewal.starts_on - timedelta(days=1)) is None


def test_an_invitation_accepted_before_the_renewal_starts_covers_on_it(family):
    renewal, now = _renew(family)
    child = resident(family, "张小宝")
    cover = cover_invite(holder=family.holder, member_id=child.id, now=now)
    assert _status(renewal, child) == CoverStatus.INVITED
    [shown] = household_page(member=child, today=now.date()).invitations
    assert shown.id == cover.id  # one invitation, on the running package
    cover_answer(member=child, cover_id=cover.id, accept=True, now=now)
    assert _status(renewal, child) == CoverStatus.COVERED
    assert _covered_on(child, renewal.starts_on).id == renewal.id
    assert _covered_on(child, now.date()).id == family.package.id


def test_declining_follows_the_renewal_and_frees_its_place(family):
    renewal, now = _renew(family)
    child = resident(family, "张小宝")
    cover = cover_invite(holder=family.holder, member_id=child.id, now=now)
    cover_answer(member=child, cover_id=cover.id, accept=False, now=now)
    assert _status(renewal, child) == CoverStatus.DECLINED
    assert _covered_on(child, renewal.starts_on) is None


def test_an_invitation_must_fit_the_renewal_too(family):
    renewal, now = _renew(family)
    # Fill the renewal only (as a smaller policy would): the running package has room.
    for n in range(places(family) - 1):
        HouseholdCover.objects.create(
            community_id=renewal.community_id,
            membership=renewal,
            member=resident(family, f"住户{n}"),
            status=CoverStatus.COVERED,
        )
    late = resident(family, "李晚")
    with pytest.raises(errors.FamilyFull):
        cover_invite(holder=family.holder, member_id=late.id, now=now)
    assert _status(family.package, late) is None and _status(renewal, late) is None


def test_once_the_renewal_runs_the_holder_manages_it_and_the_old_one_is_left(family):
    renewal, _now = _renew(family)
    started = _noon(renewal.starts_on + timedelta(days=1))
    child = resident(family, "张小宝")
    cover = cover_invite(holder=family.holder, member_id=child.id, now=started)
    assert cover.membership_id == renewal.id
    assert _status(family.package, child) is None
    cover_answer(member=child, cover_id=cover.id, accept=True, now=started)
    assert _covered_on(child, started.date()).id == renewal.id


def test_a_renewal_paid_after_the_old_package_lapsed_still_carries_its_covers(family):
    old = family.package
    Membership.objects.filter(pk=old.pk).update(status="lapsed")
    now = _noon(old.ends_on + timedelta(days=40))
    renewal = apply(family.holder, plan="family", now=now)
    pay(renewal, family.operator, "late")
    assert _status(renewal, family.spouse) == CoverStatus.COVERED
