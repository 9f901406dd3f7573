"""The member confirms on their phone before coins or points above the threshold are spent:
the first attempt waits for the member, the member approves (card page or API), the
cashier scans the new code and the sale posts; an approval serves one sale only; declines,
other members and stale requests are handled with codes."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from linli.commerce import errors, limits
from linli.commerce.models import ConfirmationStatus, Sale, SaleConfirmation
from linli.commerce.services import sale_consume
from linli.communities.selectors import policy_in_force
from linli.errors import NotFound
from tests.commerce.conftest import code_of, fund
from tests.factories import make_member


@pytest.fixture(autouse=True)
def _confirm_above_50_yuan(settings):
    settings.LINLI_SALE_LIMITS = {"confirm_above_fen": 5_000}


def _consume(shop, at, request_no="c1", coin_units=6_000, amount_fen=10_000):
    return sale_consume(
        merchant=shop.merchant,
        clerk=shop.cashier,
        request_no=request_no,
        code=code_of(shop.buyer, at),
        now=at,
        amount_fen=amount_fen,
        coin_units=coin_units,
    )[0]


def test_below_the_threshold_nothing_waits(shop_a):
    fund(shop_a.buyer, "TIME", 10_000)
    assert _consume(shop_a, timezone.now(), coin_units=5_000).coin_units == 5_000
    assert not SaleConfirmation.objects.exists()


def test_approve_then_scan_again_posts_once(shop_a):
    fund(shop_a.buyer, "TIME", 20_000)
    at = timezone.now()
    with pytest.raises(errors.MemberConfirmationRequired) as waiting:
        _consume(shop_a, at)
    assert waiting.value.code == "member_confirmation_required"
    assert "50.00" in waiting.value.render("zh-hans")
    assert not Sale.objects.exists()
    # Asking again before the member answers does not pile up requests.
    with pytest.raises(errors.MemberConfirmationRequired):
        _consume(shop_a, at + timedelta(seconds=30))
    (pending,) = limits.confirmations_pending(member=shop_a.buyer, now=at)
    limits.confirmation_decide(
        member=shop_a.buyer, confirmation_id=pending.id, approve=True, now=at
    )
    sale = _consume(shop_a, at + timedelta(seconds=60))
    pending.refresh_from_db()
    assert pending.status == ConfirmationStatus.USED and pending.sale_id == sale.id
    # The approval served that sale; the same amounts again wait for a new approval.
    with pytest.raises(errors.MemberConfirmationRequired):
        _consume(shop_a, at + timedelta(seconds=90), request_no="c2")
    assert SaleConfirmation.objects.count() == 2


def test_an_approval_is_for_the_exact_sale(shop_a):
    fund(shop_a.buyer, "TIME", 20_000)
    at = timezone.now()
    with pytest.raises(errors.MemberConfirmationRequired):
        _consume(shop_a, at)
    (pending,) = limits.confirmations_pending(member=shop_a.buyer, now=at)
    limits.confirmation_decide(member=shop_a.buyer, confirmation_id=pending.id, approve=True)
    with pytest.raises(errors.MemberConfirmationRequired):
        _consume(shop_a, at + timedelta(seconds=30), coin_units=7_000)


def test_a_decline_is_refused_with_its_own_code(shop_a):
    fund(shop_a.buyer, "TIME", 20_000)
    at = timezone.now()
    with pytest.raises(errors.MemberConfirmationRequired):
        _consume(shop_a, at)
    (pending,) = limits.confirmations_pending(member=shop_a.buyer, now=at)
    limits.confirmation_decide(member=shop_a.buyer, confirmation_id=pending.id, approve=False)
    with pytest.raises(errors.MemberDeclined) as declined:
        _consume(shop_a, at + timedelta(seconds=30))
    assert declined.value.code == "member_declined"
    assert not Sale.objects.exists()


def test_nobody_else_and_nothing_stale_can_be_decided(shop_a):
    fund(shop_a.buyer, "TIME", 20_000)
    at = timezone.now()
    with pytest.raises(errors.MemberConfirmationRequired):
        _consume(shop_a, at)
    (pending,) = limits.confirmations_pending(member=shop_a.buyer, now=at)
    stranger = make_member(shop_a.community)
    for who, ident, moment in (
        (stranger, pending.id, at),
        (shop_a.buyer, "1", at),
        (shop_a.buyer, True, at),
        (shop_a.buyer, 10**12, at),
        (shop_a.buyer, pending.id, at + limits.CONFIRMATION_TTL + timedelta(seconds=1)),
    ):
        with pytest.raises(NotFound):
            limits.confirmation_decide(member=who, confirmation_id=ident, approve=True, now=moment)
    limits.confirmation_decide(member=shop_a.buyer, confirmation_id=pending.id, approve=True)
    with pytest.raises(NotFound):  # answered once
        limits.confirmation_decide(member=shop_a.buyer, confirmation_id=pending.id, approve=False)
    # A stale approval does not authorise a sale.
    later = at + limits.CONFIRMATION_TTL + timedelta(minutes=1)
    with pytest.raises(errors.MemberConfirmationRequired):
        _consume(shop_a, later)


def test_the_member_answers_on_the_card_page_and_through_the_api(shop_a):
    fund(shop_a.buyer, "TIME", 30_000)
    slug = shop_a.community.slug
    member = Client()
    member.force_login(shop_a.buyer.user)
    at = timezone.now()
    with pytest.raises(errors.MemberConfirmationRequired):
        _consume(shop_a, at)
    page = member.get(f"/c/{slug}/card/")
    assert page.status_code == 200 and 'data-testid="confirmation"' in page.content.decode()
    (pending,) = limits.confirmations_pending(member=shop_a.buyer)
    answered = member.post(f"/c/{slug}/card/confirmations/{pending.id}/", {"decision": "approve"})
    assert answered.status_code == 302
    assert _consume(shop_a, at + timedelta(seconds=30)).coin_units == 6_000

    with pytest.raises(errors.MemberConfirmationRequired):
        _consume(shop_a, at + timedelta(seconds=60), request_no="c2")
    api = f"/api/v1/commerce/communities/{slug}/card/confirmations"
    listed = member.get(api)
    assert listed.status_code == 200 and listed.json()[0]["coin_units"] == 6_000
    ident = listed.json()[0]["id"]
    declined = member.post(f"{api}/{ident}", {"approve": False}, content_type="application/json")
    assert declined.status_code == 200 and declined.json()["status"] == "declined"
    again = member.post(f"{api}/{ident}", {"approve": True}, content_type="application/json")
    assert again.status_code == 404
    cashier = Client()
    cashier.force_login(shop_a.cashier)
    assert cashier.get(api).status_code == 403
    assert cashier.post(f"/c/{slug}/card/confirmations/{ident}/").status_code == 404


# --- the preview warns in advance -----------------------------------------------------------


def _prepare_api(shop, *, coin_units, points=0):
    client = Client()
    client.force_login(shop.cashier)
    body = {
        "code": code_of(shop.buyer),
        "amount_fen": 10_000,
        "coin_units": coin_units,
        "points": points,
    }
    url = f"/api/v1/commerce/communities/{shop.community.slug}/sales/prepare"
    return client.post(url, body, content_type="application/json")


def test_the_preview_says_when_the_members_approval_will_be_needed(shop_a):
    over = _prepare_api(shop_a, coin_units=6_000)  # 60 yuan of coins > 50
    assert over.status_code == 200, over.content
    assert over.json()["confirmation_needed"] is True
    assert over.json()["confirmation_above_fen"] == 5_000
    at_limit = _prepare_api(shop_a, coin_units=5_000).json()  # exactly 50: no approval
    assert (at_limit["confirmation_needed"], at_limit["confirmation_above_fen"]) == (False, None)
    # Points count with coins (preset A: a point is worth point_value_fen).
    value = policy_in_force(community=shop_a.community).point_value_fen
    points_over = 5_000 // value + 1
    mixed = _prepare_api(shop_a, coin_units=0, points=points_over).json()
    assert mixed["confirmation_needed"] is True
    assert not SaleConfirmation.objects.exists()  # the preview writes nothing


def test_the_preview_warns_nothing_when_approval_is_switched_off(shop_a, settings):
    settings.LINLI_SALE_LIMITS = {"confirm_above_fen": 0}
    assert _prepare_api(shop_a, coin_units=9_000).json()["confirmation_needed"] is False


def test_the_till_page_warns_before_confirming(shop_a):
    client = Client()
    client.force_login(shop_a.cashier)
    url = f"/c/{shop_a.community.slug}/till/"
    form = {"action": "prepare", "code": code_of(shop_a.buyer), "amount": "100"}
    over = client.post(url, {**form, "coins": "60"}, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert 'data-testid="preview-confirmation"' in over.content.decode()
    assert "50.00" in over.content.decode() and "手机" in over.content.decode()
    under = client.post(url, {**form, "coins": "40", "code": code_of(shop_a.buyer)})
    assert 'data-testid="preview-confirmation"' not in under.content.decode()
