"""The waiting list per trade: a taken seat queues applicants in order, each sees their
place; a reopened seat is offered to the first in line with a deadline, then the next."""

from datetime import timedelta

import pytest
from django.utils import timezone

from linli.communities.models import AuditEntry
from linli.members.models import Member, Notice
from linli.merchants import errors
from linli.merchants.models import (
    ApplicationStatus,
    Industry,
    MerchantStatus,
    WaitStatus,
)
from linli.merchants.selectors import applications_pending, waitlist_of_user, waitlist_position
from linli.merchants.services import (
    application_reject,
    merchant_admit,
    merchant_exit_complete,
    merchant_exit_request,
)
from linli.merchants.trust import merchant_remove
from linli.merchants.waitlist import (
    seat_offer_next,
    waitlist_accept,
    waitlist_advance,
    waitlist_leave,
)
from tests.factories import SHOP_LAT, SHOP_LNG, make_member, make_merchant

_serial = iter(range(1, 10_000))


def _apply(community, code="fruit", *, queue=True):
    from linli.merchants.services import application_submit

    n = next(_serial)
    return application_submit(
        community=community,
        applicant=make_member(community).user,
        industry=Industry.objects.get(community=community, code=code),
        business_name=f"候补 {n}",
        licence_no=f"91310000WL{n:08d}",
        address="幸福路 2 号",
        lat=SHOP_LAT,
        lng=SHOP_LNG,
        contact_phone="13900000000",
        exclusivity_accepted=True,
        join_waiting_list=queue,
    )


def _leave_seat(merchant, operator):
    merchant_exit_request(merchant=merchant, actor=merchant.owner)
    merchant.refresh_from_db()
    later = merchant.exit_effective_at + timedelta(seconds=1)
    merchant_exit_complete(merchant=merchant, actor=operator, now=later)


def _entry(application):
    application.refresh_from_db()
    entry = application.waiting_entry
    entry.refresh_from_db()
    return entry


def test_taken_seat_queues_applicants_in_order(community):
    holder = make_merchant(community, "fruit", name="老王水果")
    with pytest.raises(errors.IndustryTaken) as refused:
        _apply(community, queue=False)
    assert "老王水果" in refused.value.render("zh-hans")
    first, second, third = (_apply(community) for _ in range(3))
    assert [a.status for a in (first, second, third)] == [ApplicationStatus.WAITING] * 3
    assert [waitlist_position(entry=_entry(a)) for a in (first, second, third)] == [1, 2, 3]
    mine = waitlist_of_user(user=second.applicant, community=community)
    assert [(e.id, pos) for e, pos in mine] == [(_entry(second).id, 2)]
    # Queued applications are not in the committee's review list and cannot be admitted.
    assert not applications_pending(community=community).filter(id=first.id).exists()
    with pytest.raises(errors.ApplicationNotPending):
        merchant_admit(application=first, actor=None)
    # One application per licence, queued or not.
    from linli.merchants.services import application_submit

    with pytest.raises(errors.LicenceReused):
        application_submit(
            community=community,
            applicant=make_member(community).user,
            industry=holder.industry,
            business_name="again",
            licence_no=first.licence_no,
            address="x",
            lat=SHOP_LAT,
            lng=SHOP_LNG,
            contact_phone="1",
            exclusivity_accepted=True,
            join_waiting_list=True,
        )
    # Leaving the line moves the others up.
    waitlist_leave(entry=_entry(first), actor=first.applicant)
    assert waitlist_position(entry=_entry(second)) == 1
    first.refresh_from_db()
    assert first.status == ApplicationStatus.WITHDRAWN


def test_reopened_seat_is_offered_in_turn_with_a_deadline(community, operator):
    holder = make_merchant(community, "fruit")
    first, second, third = (_apply(community) for _ in range(3))
    _leave_seat(holder, operator)

    offered = _entry(first)
    assert offered.status == WaitStatus.OFFERED
    assert offered.offer_expires_at - offered.offered_at == timedelta(days=7)  # both presets
    member = Member.objects.get(user=first.applicant)
    assert Notice.objects.filter(member=member, kind="merchant_seat_offered").count() == 1
    # The free seat is spoken for: a newcomer is refused or queues at the back.
    with pytest.raises(errors.SeatQueued):
        _apply(community, queue=False)
    fourth = _apply(community)
    assert waitlist_position(entry=_entry(fourth)) == 4
    # Only the one offered may answer, and only its own entry.
    with pytest.raises(errors.NoOffer):
        waitlist_accept(entry=_entry(second), actor=second.applicant)
    with pytest.raises(errors.NoOffer):
        waitlist_accept(entry=offered, actor=second.applicant)

    # Declining passes the offer to the second; the second lets the deadline pass.
    waitlist_leave(entry=offered, actor=first.applicant)
    assert _entry(first).status == WaitStatus.DECLINED
    second_entry = _entry(second)
    assert second_entry.status == WaitStatus.OFFERED
    late = second_entry.offer_expires_at + timedelta(seconds=1)
    with pytest.raises(errors.OfferExpired):
        waitlist_accept(entry=second_entry, actor=second.applicant, now=late)
    assert waitlist_advance(now=late) == 1
    assert _entry(second).status == WaitStatus.LAPSED
    assert _entry(third).status == WaitStatus.OFFERED
    assert waitlist_advance(now=late) == 0  # an offer is out: nothing more to offer

    # The third accepts: the application goes to the committee and is admitted.
    waitlist_accept(entry=_entry(third), actor=third.applicant)
    third.refresh_from_db()
    assert third.status == ApplicationStatus.PENDING
    assert applications_pending(community=community).filter(id=third.id).exists()
    merchant = merchant_admit(application=third, actor=operator)
    assert merchant.industry.code == "fruit" and merchant.status == MerchantStatus.ACTIVE
    assert waitlist_position(entry=_entry(fourth)) == 1
    actions = set(AuditEntry.objects.values_list("action", flat=True))
    assert {"merchant.waitlist_join", "merchant.waitlist_offer", "merchant.waitlist_accept"} <= (
        actions
    )
    assert {"merchant.waitlist_declined", "merchant.waitlist_lapsed"} <= actions


def test_rejected_acceptance_and_replacement_offer_the_next(community, operator):
    holder = make_merchant(community, "barber")
    first, second = _apply(community, "barber"), _apply(community, "barber")
    merchant_remove(merchant=holder, reason="季度末位", blacklist=False, actor=operator)
    assert _entry(first).status == WaitStatus.OFFERED
    waitlist_accept(entry=_entry(first), actor=first.applicant)
    assert seat_offer_next(community=community, industry=holder.industry) is None
    application_reject(application=first, actor=operator, note="资质不符")
    assert _entry(second).status == WaitStatus.OFFERED


def test_nobody_else_is_admitted_while_the_seat_is_offered(community, operator):
    """An application made while the seat was free (before anyone queued) cannot jump the
    line once the seat is offered to the waiting list."""
    early = make_merchant(community, "pharmacy", admit=False)
    holder = merchant_admit(
        application=make_merchant(community, "pharmacy", admit=False), actor=operator
    )
    queued = _apply(community, "pharmacy")
    _leave_seat(holder, operator)
    assert _entry(queued).status == WaitStatus.OFFERED
    with pytest.raises(errors.SeatQueued):
        merchant_admit(application=early, actor=operator)
    waitlist_accept(entry=_entry(queued), actor=queued.applicant)
    admitted = merchant_admit(application=queued, actor=operator)
    assert admitted.status == MerchantStatus.ACTIVE


def test_offer_when_seat_is_held_or_list_empty_does_nothing(community):
    holder = make_merchant(community, "tutoring")
    assert seat_offer_next(community=community, industry=holder.industry) is None
    _apply(community, "tutoring")
    assert seat_offer_next(community=community, industry=holder.industry) is None
    assert waitlist_advance(now=timezone.now()) == 0
