"""Performance-graded commission (issue 6: "platform commission 1–3% A / 3–5% B by merchant
performance"): the rank in the latest closed quarter sets the rate; worked for A and B."""

import pytest
from django.test import Client

from linli.commerce.services import sale_consume
from linli.communities.selectors import policy_in_force
from linli.merchants.models import QuarterlyScore
from linli.merchants.selectors import commission_grade
from tests.commerce.conftest import build_shop, code_of
from tests.factories import make_merchant


def _rank(shop, quarter: str, order: list) -> None:
    """Close `quarter` with the merchants ranked in `order` (best first)."""
    for rank, merchant in enumerate(order, start=1):
        QuarterlyScore.objects.create(
            community=shop.community,
            merchant=merchant,
            quarter=quarter,
            score=100 - rank,
            rank=rank,
        )


def _policy(shop):
    return policy_in_force(community=shop.community)


def _commission_of_a_100_yuan_cash_sale(shop, request_no: str) -> tuple[int, int | None]:
    sale, _ = sale_consume(
        merchant=shop.merchant,
        clerk=shop.cashier,
        request_no=request_no,
        code=code_of(shop.buyer),
        amount_fen=10_000,
    )
    commission = sum(leg["amount"] for leg in sale.legs if leg["reason"] == "commission")
    return commission, sale.commission_bp


# (preset, place of the selling shop among three, commission on 100 CNY cash in fen)
@pytest.mark.parametrize(
    "preset, place, fen",
    [
        ("A", 0, 100),  # top third: 1%, the policy's lowest
        ("A", 1, 200),  # middle third: 2%, the midpoint of 1–3%
        ("A", 2, 300),  # bottom third: 3%, the highest
        ("B", 0, 300),  # 3% of 3–5%
        ("B", 1, 400),
        ("B", 2, 500),
    ],
)
def test_the_rank_of_the_latest_quarter_sets_the_commission(db, preset, place, fen):
    shop = build_shop(preset)
    others = [shop.referrer_shop, make_merchant(shop.community, "pharmacy")]
    order = [*others[:place], shop.merchant, *others[place:]]
    _rank(shop, "2026Q2", list(reversed(order)))  # an older quarter does not count
    _rank(shop, "2026Q3", order)

    assert _commission_of_a_100_yuan_cash_sale(shop, "G-1") == (fen, fen)


@pytest.mark.parametrize("preset, lowest", [("A", 100), ("B", 300)])
def test_an_unranked_shop_pays_the_lowest_rate(db, preset, lowest):
    shop = build_shop(preset)  # no quarter closed yet
    assert commission_grade(merchant=shop.merchant, policy=_policy(shop)).band == "unranked"
    assert _commission_of_a_100_yuan_cash_sale(shop, "G-1") == (lowest, lowest)


def test_a_shop_admitted_after_the_latest_quarter_is_unranked(db):
    shop = build_shop("A")
    newcomer_order = [shop.referrer_shop, make_merchant(shop.community, "pharmacy")]
    _rank(shop, "2026Q2", [shop.merchant, *newcomer_order])
    _rank(shop, "2026Q3", newcomer_order)  # the selling shop was not ranked in Q3
    grade = commission_grade(merchant=shop.merchant, policy=_policy(shop))
    assert (grade.band, grade.quarter, grade.rate_bp) == ("unranked", "", 100)
    ranked = commission_grade(merchant=shop.referrer_shop, policy=_policy(shop))
    assert (ranked.band, ranked.quarter, ranked.rank, ranked.ranked) == ("top", "2026Q3", 1, 2)
    assert ranked.rate_bp == 100
    second = commission_grade(merchant=newcomer_order[1], policy=_policy(shop))
    assert (second.band, second.rate_bp) == ("middle", 200)  # rank 2 of 2: (2−1)·3//2 = 1


def test_the_receipt_shows_the_rate_the_sale_used(db):
    shop = build_shop("B")
    pharmacy = make_merchant(shop.community, "pharmacy")
    _rank(shop, "2026Q3", [shop.referrer_shop, pharmacy, shop.merchant])
    sale, _ = sale_consume(
        merchant=shop.merchant,
        clerk=shop.cashier,
        request_no="G-r",
        code=code_of(shop.buyer),
        amount_fen=10_000,
    )
    client = Client()
    client.force_login(shop.buyer.user)
    page = client.get(f"/c/{shop.community.slug}/receipts/{sale.id}/")
    assert page.context["commission_rate"] == "5.00%"
    assert "5.00%" in page.content.decode()
