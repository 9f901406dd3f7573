"""Two reopenings of one seat at the same moment (the exit and the waiting-list job, say)
offer it to one applicant only: the trade's row lock serialises them, and without it the
partial unique index `waitlist_one_offer_per_trade` decides (PostgreSQL, real threads)."""

import pytest
from django.db import connection

from linli.merchants.models import Industry, WaitingListEntry, WaitStatus
from linli.merchants.services import application_submit
from linli.merchants.trust import merchant_remove
from linli.merchants.waitlist import seat_offer_next, waitlist_accept
from tests.factories import SHOP_LAT, SHOP_LNG, make_member, make_merchant
from tests.threads import run_threads

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres_only]


@pytest.fixture(autouse=True)
def _postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("row locks and real concurrency are tested on PostgreSQL")


def _queue(community, industry, n):
    return application_submit(
        community=community,
        applicant=make_member(community).user,
        industry=industry,
        business_name=f"候补 {n}",
        licence_no=f"91310000RC{n:08d}",
        address="幸福路 3 号",
        lat=SHOP_LAT,
        lng=SHOP_LNG,
        contact_phone="13900000000",
        exclusivity_accepted=True,
        join_waiting_list=True,
    )


@pytest.mark.parametrize("without_row_lock", [False, True])
def test_two_applicants_one_reopened_seat_one_offer(
    community, operator, monkeypatch, without_row_lock
):
    holder = make_merchant(community, "fruit")
    industry = holder.industry
    first, second = _queue(community, industry, 1), _queue(community, industry, 2)
    # The seat reopens with nobody offered yet (as if the offer step had not run).
    monkeypatch.setattr("linli.merchants.trust.seat_offer_next", lambda **kw: None)
    merchant_remove(merchant=holder, reason="test", blacklist=False, actor=operator)
    if without_row_lock:
        # No serialisation: the conditional update and the partial unique index decide.
        monkeypatch.setattr(
            "linli.merchants.waitlist.Industry.objects.select_for_update",
            lambda: Industry.objects.none(),
        )

    results = run_threads(
        [
            lambda: seat_offer_next(community=community, industry=industry),
            lambda: seat_offer_next(community=community, industry=industry),
        ]
    )
    assert sorted(type(r).__name__ for r in results) == ["NoneType", "WaitingListEntry"]
    offers = WaitingListEntry.objects.filter(industry=industry, status=WaitStatus.OFFERED)
    assert offers.count() == 1
    assert offers.get().application_id == first.id

    # Both applicants try to take the seat at once: only the one offered gets it.
    results = run_threads(
        [
            lambda: waitlist_accept(entry=first.waiting_entry, actor=first.applicant),
            lambda: waitlist_accept(entry=second.waiting_entry, actor=second.applicant),
        ]
    )
    accepted = [r for r in results if isinstance(r, WaitingListEntry)]
    assert len(accepted) == 1 and accepted[0].application_id == first.id
    assert WaitingListEntry.objects.get(application=second).status == WaitStatus.WAITING
