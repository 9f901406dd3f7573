"""A Meituan/Douyin voucher as a part of the payment (issue 6): recorded on the sale,
posted like cash (from cash_in, reason "voucher"), shown on the receipt, one code once per
shop, coded refusals."""

from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.test import Client
from django.utils import timezone

from linli.commerce import errors
from linli.commerce.models import Sale, SaleVoucher
from linli.commerce.services import sale_consume, sale_prepare, sale_refund, sale_undo
from linli.commerce.vouchers import VoucherIn
from linli.ledger.models import AccountKind, Transfer
from linli.ledger.services import chart_ensure
from tests.commerce.conftest import code_of, fund, merchant_of, wallet_of
from tests.factories import make_merchant


def _next_moment(shop):
    """Each attempt at the next 30-second step (a member code is single use)."""
    shop.attempts = getattr(shop, "attempts", 0) + 1
    return timezone.now() + timedelta(seconds=30 * (shop.attempts - 1))


def _sell(shop, request_no, voucher, *, amount_fen=10_000, coin_units=0, merchant=None):
    now = _next_moment(shop)
    return sale_consume(
        merchant=merchant or shop.merchant,
        clerk=shop.cashier if merchant is None else merchant.owner,
        request_no=request_no,
        code=code_of(shop.buyer, now),
        now=now,
        amount_fen=amount_fen,
        coin_units=coin_units,
        voucher=voucher,
    )[0]


def test_preset_a_100_yuan_paid_30_voucher_30_coins_40_cash_every_leg(shop_a):
    fund(shop_a.buyer, "TIME", 10_000)
    chart = chart_ensure(community=shop_a.community)
    cash_in = chart[(AccountKind.CASH_IN, "CNY")].id
    m_cny, m_time = merchant_of(shop_a.merchant, "CNY"), merchant_of(shop_a.merchant, "TIME")
    c_cny = merchant_of(shop_a.referrer_shop, "CNY")
    platform = chart[(AccountKind.PLATFORM_REVENUE, "CNY")].id
    fund_cny = chart[(AccountKind.COMMUNITY_FUND, "CNY")].id

    sale = _sell(shop_a, "V-1", VoucherIn("meituan", " 1234 5678-90ab ", 3_000), coin_units=3_000)

    assert sale.cash_fen == 4_000  # 100 − 30 voucher − 30 coins
    voucher = SaleVoucher.objects.get(sale=sale)
    assert (voucher.platform, voucher.code, voucher.value_fen) == ("meituan", "1234567890AB", 3_000)
    cny = [
        (t.debit_account_id, t.credit_account_id, t.amount)
        for t in Transfer.objects.filter(journal_id=sale.journal_id, asset_id="CNY").order_by(
            "leg_no"
        )
    ]
    # Each CNY part is split on its own: commission 1%, fund 0.5%, rebate 5% to shop C.
    assert cny == [
        (cash_in, m_cny.id, 4_000),  # cash at the till
        (m_cny.id, platform, 40),
        (m_cny.id, fund_cny, 20),
        (m_cny.id, c_cny.id, 200),
        (cash_in, m_cny.id, 3_000),  # the voucher: paid to the shop by Meituan, like cash
        (m_cny.id, platform, 30),
        (m_cny.id, fund_cny, 15),
        (m_cny.id, c_cny.id, 150),
    ]
    reasons = [leg["reason"] for leg in sale.legs if leg["asset"] == "CNY"]
    assert reasons.count("voucher") == 1 and reasons.count("payment") == 1
    assert any(leg["debit_account_id"] == wallet_of(shop_a.buyer, "TIME").id for leg in sale.legs)
    assert m_time.id in {leg["credit_account_id"] for leg in sale.legs}


def test_a_voucher_code_is_used_once_per_shop_and_platform(shop_a):
    _sell(shop_a, "V-1", VoucherIn("douyin", "ABCD1234", 1_000))
    for spelled in ("ABCD1234", "abcd-1234", "ab cd 12 34"):
        with pytest.raises(errors.VoucherUsed):
            _sell(shop_a, f"V-{spelled}", VoucherIn("douyin", spelled, 1_000))
    # Another platform's code that happens to read the same, and another shop: accepted.
    assert _sell(shop_a, "V-2", VoucherIn("meituan", "ABCD1234", 1_000)).cash_fen == 9_000
    other = make_merchant(shop_a.community, "pharmacy")
    assert _sell(shop_a, "V-3", VoucherIn("douyin", "ABCD1234", 1_000), merchant=other)
    assert SaleVoucher.objects.count() == 3 and Sale.objects.count() == 3


def test_the_database_refuses_a_second_use_even_past_the_check(shop_a):
    sale = _sell(shop_a, "V-1", VoucherIn("other", "ZXCV0001", 500))
    with pytest.raises(IntegrityError), transaction.atomic():
        SaleVoucher.objects.create(
            community=shop_a.community,
            merchant=shop_a.merchant,
            sale=Sale.objects.create(
                **{
                    f.attname: getattr(sale, f.attname)
                    for f in Sale._meta.concrete_fields
                    if f.attname not in ("id",)
                }
                | {"request_no": "V-x", "journal_id": "00000000-0000-0000-0000-000000000001"}
            ),
            platform="other",
            code="ZXCV0001",
            value_fen=500,
        )


@pytest.mark.parametrize(
    "voucher",
    [
        VoucherIn("alipay", "ABCD1234", 1_000),  # not a platform we know
        VoucherIn("meituan", "AB1", 1_000),  # too short
        VoucherIn("meituan", "A" * 41, 1_000),  # too long
        VoucherIn("meituan", "券码1234", 1_000),  # not letters and digits
        VoucherIn("meituan", "ABCD1234", 0),
        VoucherIn("meituan", "ABCD1234", -100),
        VoucherIn("meituan", "ABCD1234", 10_001),  # more than the sale
        VoucherIn("meituan", "ABCD1234", True),  # type: ignore[arg-type]
        VoucherIn("meituan", "ABCD1234", "1000"),  # type: ignore[arg-type]
        VoucherIn("meituan", None, 1_000),  # type: ignore[arg-type]
    ],
)
def test_bad_vouchers_are_refused_with_a_code_and_nothing_is_written(shop_a, voucher):
    with pytest.raises(errors.VoucherInvalid) as refused:
        _sell(shop_a, "V-bad", voucher)
    assert refused.value.code == "voucher_invalid" and refused.value.status == 400
    assert not Sale.objects.exists() and not SaleVoucher.objects.exists()


def test_voucher_and_coins_together_cannot_pass_the_amount(shop_a):
    fund(shop_a.buyer, "TIME", 10_000)
    with pytest.raises(errors.MixInvalid):
        sale_prepare(
            merchant=shop_a.merchant,
            code=code_of(shop_a.buyer),
            amount_fen=10_000,
            coin_units=8_000,
            voucher=VoucherIn("meituan", "ABCD1234", 3_000),
        )


def test_undo_frees_the_code_and_a_refund_reverses_the_voucher_leg(shop_a):
    sale = _sell(shop_a, "V-1", VoucherIn("meituan", "ABCD1234", 4_000))
    sale_undo(sale=sale, actor=shop_a.cashier, now=sale.created_at)
    again = _sell(shop_a, "V-2", VoucherIn("meituan", "ABCD1234", 4_000))
    refund = sale_refund(
        sale=again,
        actor=shop_a.merchant.owner,
        request_no="r1",
        amount_fen=5_000,
        now=again.created_at,
    )
    voucher_back = [leg for leg in refund.legs if leg["reason"] == "voucher"]
    assert voucher_back and voucher_back[0]["amount"] == 2_000  # half of 40 yuan
    assert voucher_back[0]["credit_account_id"] == next(
        leg["debit_account_id"] for leg in again.legs if leg["reason"] == "voucher"
    )


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_till_page_and_receipt_show_the_voucher(shop_a):
    till = _client(shop_a.cashier)
    page = f"/c/{shop_a.community.slug}/till/"
    form = {
        "action": "prepare",
        "code": code_of(shop_a.buyer),
        "amount": "100",
        "voucher_platform": "douyin",
        "voucher_code": "DY20261234",
        "voucher_value": "35.5",
    }
    preview = till.post(page, form)
    assert preview.status_code == 200, preview.content
    assert preview.context["preview"]["voucher"] == "35.50"
    assert preview.context["preview"]["cash"] == "64.50"
    confirm = till.post(
        page, {**form, "action": "consume", "request_no": preview.context["request_no"]}
    )
    assert confirm.status_code == 302
    receipt = _client(shop_a.buyer.user).get(confirm.url).content.decode()
    assert "****1234" in receipt and "35.50" in receipt and "抖音" in receipt
    assert "DY20261234" not in receipt  # the code is masked
    bad = till.post(page, {**form, "voucher_value": "abc"})
    assert bad.context["error"] and "preview" not in bad.context
    later = code_of(shop_a.buyer, timezone.now() + timedelta(seconds=30))
    used = till.post(page, {**form, "code": later})
    assert used.context["error"] == str(errors.VoucherUsed().render("zh-hans"))


def test_api_records_the_voucher_and_refuses_its_reuse(shop_a):
    till = _client(shop_a.cashier)
    url = f"/api/v1/commerce/communities/{shop_a.community.slug}/sales"
    body = {
        "request_no": "api-v1",
        "code": code_of(shop_a.buyer),
        "amount_fen": 10_000,
        "voucher_platform": "meituan",
        "voucher_code": "MT99887766",
        "voucher_fen": 2_000,
    }
    first = till.post(url, body, content_type="application/json")
    assert first.status_code == 201, first.content
    assert first.json()["voucher_fen"] == 2_000 and first.json()["cash_fen"] == 8_000
    later = code_of(shop_a.buyer, timezone.now() + timedelta(seconds=30))
    again = till.post(url, {**body, "request_no": "api-v2", "code": later}, "application/json")
    assert again.status_code == 409 and again.json()["code"] == "voucher_used"
    wrong = till.post(
        url, {**body, "request_no": "api-v3", "voucher_platform": "taobao"}, "application/json"
    )
    assert wrong.status_code in (400, 422)
