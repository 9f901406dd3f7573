"""Fraud-type refusals at the till are recorded for the committee's anomaly view (issue 6
"Fraud and limits"): self-dealing, a replayed member code, the velocity and amount limits.
The cashier's answer does not change; the record survives the sale's rollback; the view
and its API list, filter and page them, with masked members."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from linli.commerce import errors, limits, refusals, reports
from linli.commerce.models import Sale, TillRefusal
from linli.commerce.services import sale_consume, sale_prepare
from linli.communities.models import Role
from linli.errors import DomainError
from linli.ledger.models import Journal
from linli.members.models import Member
from linli.merchants.selectors import chair_for_month
from tests.commerce.conftest import build_shop, code_of, sell_at_once
from tests.factories import make_member, make_role, make_user


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _url(shop, tail: str) -> str:
    return f"/api/v1/commerce/communities/{shop.community.slug}{tail}"


def _staff_member(shop) -> Member:
    """The shop's cashier is a resident too (and so has a member card)."""
    return Member.objects.create(user=shop.cashier, community=shop.community, display_name="张三")


def _consume(shop, request_no, at, *, buyer=None, clerk=None, amount_fen=1_000):
    return sale_consume(
        merchant=shop.merchant,
        clerk=clerk or shop.cashier,
        request_no=request_no,
        code=code_of(buyer or shop.buyer, at),
        now=at,
        amount_fen=amount_fen,
    )[0]


def test_staff_buying_at_their_own_shop_is_refused_as_before_and_recorded(shop_a):
    staff_member = _staff_member(shop_a)
    body = {"request_no": "self-1", "code": code_of(staff_member), "amount_fen": 1_000}
    refused = _client(shop_a.cashier).post(_url(shop_a, "/sales"), body, "application/json")
    assert refused.status_code == 409 and refused.json()["code"] == "self_dealing"
    assert set(refused.json()["message"]) == {"zh-hans", "en"}
    assert not Sale.objects.filter(merchant=shop_a.merchant).exists()
    row = TillRefusal.objects.get()
    assert (row.merchant, row.clerk, row.member, row.code, row.step) == (
        shop_a.merchant,
        shop_a.cashier,
        staff_member,
        "self_dealing",
        "consume",
    )
    # The owner buying in their own shop, at the preview: recorded with the preview step.
    owner_member = Member.objects.get(user=shop_a.merchant.owner)
    with pytest.raises(errors.SelfDealing):
        sale_prepare(
            merchant=shop_a.merchant,
            clerk=shop_a.merchant.owner,
            code=code_of(owner_member),
            amount_fen=500,
        )
    latest = TillRefusal.objects.order_by("-id").first()
    assert (latest.member, latest.step, latest.clerk) == (
        owner_member,
        "prepare",
        shop_a.merchant.owner,
    )


def test_a_replayed_member_code_and_the_limits_are_recorded(shop_a, settings):
    settings.LINLI_SALE_LIMITS = {"confirm_above_fen": 0, "sale_max_fen": 5_000}
    at = timezone.now()
    _consume(shop_a, "r1", at)
    with pytest.raises(errors.CodeUsed):
        _consume(shop_a, "r2", at)  # the same code again (a screenshot)
    with pytest.raises(errors.SaleAmountOverLimit):
        _consume(shop_a, "r3", at + timedelta(seconds=30), amount_fen=6_000)
    assert list(TillRefusal.objects.order_by("id").values_list("code", "member_id")) == [
        ("member_code_used", shop_a.buyer.id),
        ("sale_amount_over_limit", shop_a.buyer.id),
    ]


def test_ordinary_mistakes_are_not_recorded(shop_a):
    for code, amount in (("12345", 100), (code_of(shop_a.buyer), 0), ("880000000000000000", 100)):
        with pytest.raises(DomainError):  # malformed, wrong amount, unknown card
            sale_prepare(
                merchant=shop_a.merchant, clerk=shop_a.cashier, code=code, amount_fen=amount
            )
    assert not TillRefusal.objects.exists()


def test_a_failing_write_of_the_record_does_not_change_the_refusal(shop_a, monkeypatch):
    """Writing the record can fail (a broken database connection); the cashier still gets
    the till's refusal, never a 500."""

    def broken(**kwargs):
        raise refusals.DatabaseError("gone")

    monkeypatch.setattr(refusals.TillRefusal.objects, "create", broken)
    staff_member = _staff_member(shop_a)
    with pytest.raises(errors.SelfDealing):
        _consume(shop_a, "x1", timezone.now(), buyer=staff_member)


@pytest.mark.django_db(transaction=True)
def test_a_refusal_under_the_sales_row_locks_survives_the_rollback(settings, monkeypatch):
    """The locked re-check refuses inside the sale's transaction (a concurrent till got
    there first): the sale and its journal roll back, the refusal record stays."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.LINLI_SALE_LIMITS = {"confirm_above_fen": 0}
    shop = build_shop("A")
    checked = limits.check_sale

    def busy_under_lock(**kwargs):
        if kwargs.get("lock"):
            raise errors.MemberVelocityLimit(count=5, minutes=10)
        checked(**kwargs)

    monkeypatch.setattr(limits, "check_sale", busy_under_lock)
    journals = Journal.objects.count()
    with pytest.raises(errors.MemberVelocityLimit):
        _consume(shop, "rolled-back", timezone.now())
    assert not Sale.objects.filter(merchant=shop.merchant).exists()
    assert Journal.objects.count() == journals
    row = TillRefusal.objects.get()
    assert (row.code, row.step, row.member_id) == (
        "member_velocity_limit",
        "consume",
        shop.buyer.id,
    )


@pytest.mark.django_db(transaction=True)
def test_concurrent_tills_over_the_shop_limit_each_leave_a_record(settings):
    if connection.vendor != "postgresql":
        pytest.skip("real concurrency is tested on PostgreSQL")
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.LINLI_SALE_LIMITS = {"confirm_above_fen": 0, "merchant_sales": 1}
    shop = build_shop("A")
    buyers = [shop.buyer, *(make_member(shop.community) for _ in range(3))]
    now = timezone.now()
    codes = [code_of(buyer, now) for buyer in buyers]
    results = sell_at_once(shop, codes, now, amount_fen=1_000)
    refused = [r for r in results if isinstance(r, errors.MerchantVelocityLimit)]
    assert len(refused) == len(buyers) - 1, results
    rows = TillRefusal.objects.filter(merchant=shop.merchant, code="merchant_velocity_limit")
    assert rows.count() == len(buyers) - 1
    sold = Sale.objects.get(merchant=shop.merchant)
    assert set(rows.values_list("member_id", flat=True)) == {b.id for b in buyers} - {
        sold.member_id
    }


# --- the anomaly view ---------------------------------------------------------------------


@pytest.fixture
def watched(shop_a):
    """Self-dealing twice, one code replay; the operator and the chair of the month."""
    staff_member = _staff_member(shop_a)
    at = timezone.now()
    for n in range(2):
        with pytest.raises(errors.SelfDealing):
            _consume(shop_a, f"s{n}", at + timedelta(seconds=30 * n), buyer=staff_member)
    later = at + timedelta(minutes=2)
    _consume(shop_a, "ok", later)
    with pytest.raises(errors.CodeUsed):
        _consume(shop_a, "again", later)
    operator = make_user()
    make_role(operator, shop_a.community, Role.OPERATOR)
    chair = chair_for_month(community=shop_a.community)
    return {"shop": shop_a, "staff": staff_member, "operator": operator, "chair": chair}


def test_the_anomaly_api_lists_filters_and_masks_refusals(watched):
    shop, operator = watched["shop"], _client(watched["operator"])
    body = operator.get(_url(shop, "/anomalies")).json()["till_refusals"]
    assert (body["count"], body["page"], body["pages"]) == (3, 1, 1)
    assert [r["code"] for r in body["rows"]] == ["member_code_used", "self_dealing", "self_dealing"]
    first = body["rows"][-1]
    assert (first["merchant"], first["clerk"], first["member"], first["member_id"]) == (
        shop.merchant.name,
        shop.cashier.username,
        "张**",
        watched["staff"].id,
    )
    only = operator.get(_url(shop, "/anomalies?refusal=self_dealing")).json()["till_refusals"]
    assert only["count"] == 2 and {r["code"] for r in only["rows"]} == {"self_dealing"}
    wrong = operator.get(_url(shop, "/anomalies?refusal=nonsense"))
    assert wrong.status_code == 400 and wrong.json()["code"] == "refusal_filter_invalid"
    huge = operator.get(_url(shop, "/anomalies?page=99999999999"))
    assert huge.status_code in (400, 422)
    chair = _client(watched["chair"].owner).get(_url(shop, "/anomalies")).json()["till_refusals"]
    assert {r["member_id"] for r in chair["rows"]} == {None}
    assert {r["member"] for r in chair["rows"]} == {"张**", "王**"}


def test_the_anomaly_page_shows_refusals_with_a_filter_and_pages(watched, settings):
    shop, operator = watched["shop"], _client(watched["operator"])
    page = operator.get(f"/c/{shop.community.slug}/sales/anomalies/").content.decode()
    assert page.count('data-testid="anomaly-refusal"') == 3
    assert f"{watched['staff'].id} (张**)" in page and "张三" not in page
    filtered = operator.get(
        f"/c/{shop.community.slug}/sales/anomalies/?refusal=member_code_used"
    ).content.decode()
    assert filtered.count('data-testid="anomaly-refusal"') == 1
    bad = operator.get(f"/c/{shop.community.slug}/sales/anomalies/?refusal=%3Cscript%3E")
    assert bad.status_code == 200 and "form-errors" in bad.content.decode()
    staff = watched["staff"]
    for n in range(reports.PAGE_SIZE):  # 23 refusals: a second page
        refusals.refusal_record(
            merchant=shop.merchant,
            clerk=shop.cashier,
            code=code_of(staff),
            refusal="self_dealing",
            step="prepare",
            now=timezone.now() - timedelta(minutes=n + 1),
        )
    first = operator.get(f"/c/{shop.community.slug}/sales/anomalies/").content.decode()
    assert 'data-testid="refusals-older"' in first
    second = operator.get(f"/c/{shop.community.slug}/sales/anomalies/?page=2").content.decode()
    assert second.count('data-testid="anomaly-refusal"') == 3


def test_refusals_older_than_the_window_and_of_other_communities_are_left_out(watched):
    shop = watched["shop"]
    TillRefusal.objects.filter(code="member_code_used").update(
        created_at=timezone.now() - timedelta(days=8)
    )
    assert reports.till_refusals(community=shop.community).paginator.count == 2
    other = build_shop("A")
    assert reports.till_refusals(community=other.community).paginator.count == 0
