"""Group buying: tiers, pledges as holds, settle-or-void at the deadline, pickup codes."""

from datetime import timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from linli.commerce import groupbuy_errors as errors
from linli.commerce.groupbuys import (
    PICKUP_ALPHABET,
    checked_tiers,
    group_buy_close,
    group_buy_pledge,
    group_buys_close_due,
    pickup_confirm,
    pledge_withdraw,
    settlement_amounts,
    tier_price,
)
from linli.commerce.models import GroupBuyStatus, PledgeStatus
from linli.errors import Forbidden, NotFound
from linli.ledger.models import Journal, Transfer
from linli.ledger.services import holds_expire
from linli.ledger.verification import ledger_verify
from tests.commerce.groupbuy_helpers import (
    available,
    build_town,
    cny_wallet,
    eggs,
    member_with_cash,
    merchant_cny,
    posted,
    revenue,
)
from tests.factories import make_member

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def test_worked_example_to_the_fen():
    """31 units reach the 35-yuan tier: each pledge pays units × 35.00, the 3.00 a unit held
    above it is released, 8% of the 1085.00 posted goes to the platform."""
    town = build_town("A")
    gb = eggs(town)
    buyers = [member_with_cash(town, 50_000) for _ in range(3)]
    for buyer, units in zip(buyers, (12, 10, 9), strict=True):
        group_buy_pledge(group_buy=gb, member=buyer, units=units, now=town.now)
    # Held at the first tier: 456.00 + 380.00 + 342.00.
    assert [available(cny_wallet(b)) for b in buyers] == [4_400, 12_000, 15_800]
    shop_before, revenue_before = posted(merchant_cny(town.merchant)), revenue(town.community)

    closed = group_buy_close(group_buy=gb, now=gb.deadline + timedelta(minutes=1))

    assert closed.status == GroupBuyStatus.SETTLED
    assert closed.final_price_fen == 3_500 and closed.settled_units == 31
    # Paid 420.00, 350.00, 315.00 = 1085.00; released 36.00, 30.00, 27.00.
    assert [posted(cny_wallet(b)) for b in buyers] == [8_000, 15_000, 18_500]
    assert [available(cny_wallet(b)) for b in buyers] == [8_000, 15_000, 18_500]
    assert closed.margin_fen == 8_680  # 8% of 108 500
    assert revenue(town.community) - revenue_before == 8_680
    assert posted(merchant_cny(town.merchant)) - shop_before == 99_820
    pledges = list(closed.pledges.order_by("id"))
    assert [p.paid_fen for p in pledges] == [42_000, 35_000, 31_500]
    assert all(p.status == PledgeStatus.SETTLED for p in pledges)
    codes = {p.pickup_code for p in pledges}
    assert len(codes) == 3 and all(len(c) == 8 and set(c) <= set(PICKUP_ALPHABET) for c in codes)
    assert ledger_verify(community=town.community).problem is None


def test_below_the_threshold_every_hold_is_released():
    town = build_town("A")
    gb = eggs(town, threshold_units=20)
    buyers = [member_with_cash(town, 40_000) for _ in range(2)]
    for buyer in buyers:
        group_buy_pledge(group_buy=gb, member=buyer, units=5, now=town.now)
    shop_before = posted(merchant_cny(town.merchant))
    closed = group_buy_close(group_buy=gb, now=gb.deadline)
    assert closed.status == GroupBuyStatus.VOIDED
    assert [available(cny_wallet(b)) for b in buyers] == [40_000, 40_000]
    assert posted(merchant_cny(town.merchant)) == shop_before
    assert set(closed.pledges.values_list("status", flat=True)) == {PledgeStatus.VOIDED}
    assert not closed.pledges.exclude(pickup_code=None).exists()


def test_closing_twice_posts_once_and_not_before_the_deadline():
    town = build_town("A")
    gb = eggs(town)
    buyer = member_with_cash(town, 50_000)
    group_buy_pledge(group_buy=gb, member=buyer, units=10, now=town.now)
    with pytest.raises(errors.GroupBuyNotDue):
        group_buy_close(group_buy=gb, now=town.now)
    after = gb.deadline + timedelta(seconds=1)
    group_buy_close(group_buy=gb, now=after)
    journals = Journal.objects.filter(community=town.community).count()
    again = group_buy_close(group_buy=gb, now=after + timedelta(hours=1))
    assert again.status == GroupBuyStatus.SETTLED
    assert Journal.objects.filter(community=town.community).count() == journals
    assert posted(cny_wallet(buyer)) == 50_000 - 38_000


def test_the_periodic_job_closes_only_what_is_due():
    town = build_town("A")
    due, later = eggs(town), eggs(town, deadline=town.now + timedelta(days=3))
    assert group_buys_close_due(now=town.now + timedelta(days=2)) == 1
    due.refresh_from_db()
    later.refresh_from_db()
    assert (due.status, later.status) == (GroupBuyStatus.VOIDED, GroupBuyStatus.OPEN)


def test_withdraw_before_the_deadline_releases_the_hold():
    town = build_town("A")
    gb = eggs(town)
    buyer = member_with_cash(town, 50_000)
    pledge = group_buy_pledge(group_buy=gb, member=buyer, units=3, now=town.now)
    stranger = make_member(town.community)
    with pytest.raises(NotFound):
        pledge_withdraw(pledge=pledge, member=stranger, now=town.now)
    pledge_withdraw(pledge=pledge, member=buyer, now=town.now)
    assert available(cny_wallet(buyer)) == 50_000
    assert pledge_withdraw(pledge=pledge, member=buyer, now=town.now).status == "withdrawn"
    again = group_buy_pledge(group_buy=gb, member=buyer, units=2, now=town.now)
    with pytest.raises(errors.GroupBuyClosed):
        pledge_withdraw(pledge=again, member=buyer, now=gb.deadline)
    assert available(cny_wallet(buyer)) == 50_000 - 7_600


def test_pledge_refusals():
    town = build_town("A")
    gb = eggs(town)
    buyer = member_with_cash(town, 10_000)
    for units in (0, -1, 100, 10**30, "3", 2.0, True, None):
        with pytest.raises(errors.PledgeInvalid):
            group_buy_pledge(group_buy=gb, member=buyer, units=units, now=town.now)
    with pytest.raises(errors.WalletShort) as short:
        group_buy_pledge(group_buy=gb, member=buyer, units=3, now=town.now)
    assert short.value.params == {"available": "100.00", "needed": "114.00"}
    assert not gb.pledges.exists()
    group_buy_pledge(group_buy=gb, member=buyer, units=2, now=town.now)
    with pytest.raises(errors.AlreadyPledged):
        group_buy_pledge(group_buy=gb, member=buyer, units=1, now=town.now)
    with pytest.raises(errors.GroupBuyClosed):
        group_buy_pledge(
            group_buy=gb, member=member_with_cash(town, 10_000), units=1, now=gb.deadline
        )
    elsewhere = make_member(build_town("B").community)
    with pytest.raises(NotFound):
        group_buy_pledge(group_buy=gb, member=elsewhere, units=1, now=town.now)


def test_create_refusals_and_who_may_create():
    town = build_town("A")
    with pytest.raises(errors.MarginOutOfPolicy):
        eggs(town, margin_bp=1_001)
    with pytest.raises(errors.MarginOutOfPolicy):
        eggs(town, margin_bp=499)
    bad_tiers = [
        [],
        [{"min_units": 10, "price_fen": 3800}, {"min_units": 5, "price_fen": 3500}],
        [{"min_units": 10, "price_fen": 3800}, {"min_units": 30, "price_fen": 3900}],
        [{"min_units": 0, "price_fen": 3800}],
        [{"min_units": 1, "price_fen": -5}],
        [{"min_units": 1, "price_fen": 10**30}],
        [{"min_units": "1", "price_fen": 100}],
        "38",
        [[1, 2, 3]],
    ]
    for tiers in bad_tiers:
        with pytest.raises(errors.GroupBuyInvalid):
            eggs(town, tiers=tiers)
    for overrides in (
        {"threshold_units": 5},  # below the first tier's minimum
        {"threshold_units": -1},
        {"deadline": town.now},
        {"deadline": town.now + timedelta(days=91)},
        {"deadline": "tomorrow"},
        {"title": " "},
        {"pickup_point": None},
    ):
        with pytest.raises(errors.GroupBuyInvalid):
            eggs(town, **overrides)
    member = make_member(town.community)
    with pytest.raises(Forbidden):
        eggs(town, actor=member.user)
    with pytest.raises(Forbidden):  # an owner cannot create for another shop
        eggs(town, merchant=town.other_merchant)
    for_supplier = eggs(town, actor=town.operator, merchant=town.other_merchant)
    assert for_supplier.merchant == town.other_merchant
    b_town = build_town("B")  # preset B: 团购预购 without a margin
    assert eggs(b_town, margin_bp=0).margin_bp == 0


def test_pickup_code_works_once_and_only_at_its_shop():
    town = build_town("A")
    gb = eggs(town)
    buyer = member_with_cash(town, 50_000)
    group_buy_pledge(group_buy=gb, member=buyer, units=10, now=town.now)
    group_buy_close(group_buy=gb, now=gb.deadline)
    code = gb.pledges.get().pickup_code
    with pytest.raises(errors.PickupCodeInvalid):
        pickup_confirm(actor=town.other_merchant.owner, community=town.community, code=code)
    for junk in ("", "x" * 500, None, 12345678, "0000-0000", "ABCD EFGH"):
        with pytest.raises(errors.PickupCodeInvalid):
            pickup_confirm(actor=town.merchant.owner, community=town.community, code=junk)
    with pytest.raises(Forbidden):
        pickup_confirm(actor=buyer.user, community=town.community, code=code)
    typed = f" {code[:4].lower()}-{code[4:]} "
    pledge = pickup_confirm(actor=town.merchant.owner, community=town.community, code=typed)
    assert pledge.picked_up_at is not None and pledge.member == buyer
    with pytest.raises(errors.PickupCodeUsed):
        pickup_confirm(actor=town.merchant.owner, community=town.community, code=code)


def test_tier_rules_in_plain_numbers():
    tiers = checked_tiers([(10, 3800), (30, 3500), (50, 3300)])
    assert [tier_price(tiers, n) for n in (1, 10, 29, 30, 49, 50, 500)] == [
        3800, 3800, 3800, 3500, 3500, 3300, 3300,
    ]  # fmt: skip


@st.composite
def _settlements(draw):
    count = draw(st.integers(1, 4))
    mins = sorted(draw(st.sets(st.integers(1, 200), min_size=count, max_size=count)))
    prices = sorted(
        draw(st.sets(st.integers(1, 1_000_000), min_size=count, max_size=count)), reverse=True
    )
    units = draw(st.lists(st.integers(1, 99), min_size=1, max_size=30))
    margin = draw(st.integers(0, 10_000))
    return (
        [{"min_units": m, "price_fen": p} for m, p in zip(mins, prices, strict=True)],
        units,
        margin,
    )


@settings(max_examples=300, deadline=None)
@given(_settlements())
def test_settlement_adds_up_for_any_tiers_and_pledges(case):
    tiers, units, margin_bp = case
    final, amounts, margin, merchant_share = settlement_amounts(
        pledged_units=units, tiers=tiers, margin_bp=margin_bp
    )
    first = tiers[0]["price_fen"]
    reached = [t["price_fen"] for t in tiers if t["min_units"] <= sum(units)]
    assert final == (reached[-1] if reached else first)
    for n, (paid, released) in zip(units, amounts, strict=True):
        assert paid + released == n * first and paid == n * final and released >= 0
    total = sum(paid for paid, _ in amounts)
    assert margin + merchant_share == total
    assert total * margin_bp // 10_000 <= margin <= -(-total * margin_bp // 10_000)


def test_a_hold_released_by_the_ledger_expiry_no_longer_counts():
    """Settled more than HOLD_GRACE late: the expired pledge is released, the rest decide."""
    town = build_town("A")
    gb = eggs(town, threshold_units=10)
    early, late = member_with_cash(town, 50_000), member_with_cash(town, 50_000)
    first = group_buy_pledge(group_buy=gb, member=early, units=4, now=town.now)
    group_buy_pledge(group_buy=gb, member=late, units=6, now=town.now)
    hold = first.hold_id
    expires = Transfer.objects.get(id=hold).expires_at
    assert holds_expire(now=expires + timedelta(seconds=1)) == 2
    closed = group_buy_close(group_buy=gb, now=expires + timedelta(seconds=2))
    assert closed.status == GroupBuyStatus.VOIDED
    assert set(closed.pledges.values_list("status", flat=True)) == {PledgeStatus.VOIDED}
    assert [available(cny_wallet(m)) for m in (early, late)] == [50_000, 50_000]


def test_the_shops_own_people_cannot_pledge_in_its_group_buy():
    """Owner or cashier of the group-buy's shop (or supplier) pledging would be buying
    from themselves: refused with a code, nothing held; a former cashier may pledge."""
    from django.test import Client

    from linli.communities.models import Role
    from linli.members.models import Member
    from linli.merchants.models import MerchantStaff
    from linli.merchants.services import staff_add
    from tests.factories import make_role

    town = build_town("A")
    gb = eggs(town)
    owner_member = Member.objects.get(user=town.merchant.owner)
    with pytest.raises(errors.PledgeOwnShop) as refused:
        group_buy_pledge(group_buy=gb, member=owner_member, units=1, now=town.now)
    assert refused.value.code == "group_buy_own_shop" and refused.value.status == 409
    cashier = staff_add(
        merchant=town.merchant, username="gb-till", password="Till-pass-2026!", actor=None
    ).user
    make_role(cashier, town.community, Role.MEMBER)
    cashier_member = Member.objects.create(
        user=cashier, community=town.community, display_name="店员"
    )
    with pytest.raises(errors.PledgeOwnShop):
        group_buy_pledge(group_buy=gb, member=cashier_member, units=1, now=town.now)
    assert not gb.pledges.exists()
    # Over the API: the same code, in both languages.
    client = Client()
    client.force_login(town.merchant.owner)
    url = f"/api/v1/commerce/communities/{town.community.slug}/group-buys/{gb.id}/pledges"
    answer = client.post(url, {"units": 1}, content_type="application/json")
    assert answer.status_code == 409 and answer.json()["code"] == "group_buy_own_shop"
    assert set(answer.json()["message"]) == {"zh-hans", "en"}
    # A supplier's group-buy (created by the operator): the supplier's owner is refused,
    # another shop's owner is an ordinary buyer there.
    supplied = eggs(town, actor=town.operator, merchant=town.other_merchant)
    supplier_owner = Member.objects.get(user=town.other_merchant.owner)
    with pytest.raises(errors.PledgeOwnShop):
        group_buy_pledge(group_buy=supplied, member=supplier_owner, units=1, now=town.now)
    with pytest.raises(errors.WalletShort):  # past the own-shop check: only cash is missing
        group_buy_pledge(group_buy=supplied, member=owner_member, units=1, now=town.now)
    # The cashier's job ends: from then on an ordinary member.
    MerchantStaff.objects.filter(user=cashier).update(is_active=False)
    from linli.commerce.topups import wallet_cash_top_up

    wallet_cash_top_up(
        community=town.community,
        actor=town.operator,
        member_id=cashier_member.id,
        amount_fen=10_000,
        idempotency_key="former-cashier",
    )
    assert group_buy_pledge(group_buy=gb, member=cashier_member, units=1, now=town.now).units == 1
