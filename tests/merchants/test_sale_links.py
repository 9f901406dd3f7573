"""Complaints and ratings name the member's own commerce sale (a 核销) at that merchant:
an undone sale cannot be rated or complained about, a fully refunded one cannot be rated
but can be complained about, one rating per sale; another member's, another shop's or
another community's sale is not found — through the API too, with stable codes."""

import json

import pytest

from linli.merchants import errors
from linli.merchants.models import Complaint, Rating
from linli.merchants.services import industries_ensure
from linli.merchants.trust import complaint_file, rating_create
from tests.factories import make_community, make_member, make_merchant
from tests.merchants.helpers import commerce_sale, sale_refund_now, sale_undo_now


@pytest.fixture
def shop(community):
    merchant = make_merchant(community, "fruit")
    buyer = make_member(community)
    return merchant, buyer


def test_undone_sale_cannot_be_rated_nor_complained_about(shop):
    merchant, buyer = shop
    sale = commerce_sale(merchant, buyer, 1)
    sale_undo_now(sale)
    with pytest.raises(errors.SaleUndone):
        rating_create(merchant=merchant, rater=buyer.user, sale_journal_id=sale.journal_id, stars=1)
    with pytest.raises(errors.SaleUndone):
        complaint_file(
            merchant=merchant, complainant=buyer.user, text="坏", sale_journal_id=sale.journal_id
        )
    assert not Rating.objects.exists() and not Complaint.objects.exists()


def test_fully_refunded_sale_cannot_be_rated_but_can_be_complained_about(shop):
    merchant, buyer = shop
    sale = commerce_sale(merchant, buyer, 1)
    sale_refund_now(sale, sale.amount_fen)
    with pytest.raises(errors.SaleRefunded):
        rating_create(merchant=merchant, rater=buyer.user, sale_journal_id=sale.journal_id, stars=2)
    complaint = complaint_file(
        merchant=merchant,
        complainant=buyer.user,
        text="退了款还是不满意",
        sale_journal_id=sale.journal_id,
    )
    assert complaint.sale_journal_id == sale.journal_id
    assert not Rating.objects.exists()


def test_partly_refunded_sale_can_be_rated_once(shop):
    merchant, buyer = shop
    sale = commerce_sale(merchant, buyer, 1)
    sale_refund_now(sale, 1_000)
    rating = rating_create(
        merchant=merchant, rater=buyer.user, sale_journal_id=str(sale.journal_id), stars=4
    )
    assert rating.sale_journal_id == sale.journal_id
    with pytest.raises(errors.RatingDuplicate):
        rating_create(merchant=merchant, rater=buyer.user, sale_journal_id=sale.journal_id, stars=5)
    assert Rating.objects.count() == 1


def test_another_members_shops_or_communitys_sale_is_not_found(community, shop):
    merchant, buyer = shop
    neighbour = make_member(community)
    theirs = commerce_sale(merchant, neighbour, 1)
    elsewhere = make_merchant(community, "barber")
    at_other_shop = commerce_sale(elsewhere, buyer, 1)
    far = make_community("A")
    industries_ensure(community=far)
    far_shop = make_merchant(far, "fruit")
    far_sale = commerce_sale(far_shop, make_member(far), 1)
    for journal_id in (theirs.journal_id, at_other_shop.journal_id, far_sale.journal_id):
        with pytest.raises(errors.SaleNotFound):
            rating_create(merchant=merchant, rater=buyer.user, sale_journal_id=journal_id, stars=3)
        with pytest.raises(errors.SaleNotFound):
            complaint_file(
                merchant=merchant, complainant=buyer.user, text="x", sale_journal_id=journal_id
            )
    # The neighbour's own sale is theirs to rate; a complaint without a sale is allowed.
    rating_create(
        merchant=merchant, rater=neighbour.user, sale_journal_id=theirs.journal_id, stars=3
    )
    complaint_file(merchant=merchant, complainant=buyer.user, text="态度差")
    assert Rating.objects.count() == 1 and Complaint.objects.count() == 1


def _post(client, url, body):
    return client.post(url, data=json.dumps(body), content_type="application/json")


def test_api_refuses_with_codes_in_both_languages(client, community, shop):
    merchant, buyer = shop
    undone = commerce_sale(merchant, buyer, 1)
    sale_undo_now(undone)
    refunded = commerce_sale(merchant, buyer, 2)
    sale_refund_now(refunded, refunded.amount_fen)
    client.force_login(buyer.user)
    base = f"/api/v1/merchants/communities/{community.slug}/merchants/{merchant.id}"
    cases = [
        ("/ratings", {"sale_journal_id": str(undone.journal_id), "stars": 3}, 409, "sale_undone"),
        (
            "/ratings",
            {"sale_journal_id": str(refunded.journal_id), "stars": 3},
            409,
            "sale_refunded",
        ),
        ("/ratings", {"sale_journal_id": "nope", "stars": 3}, 404, "sale_not_found"),
        (
            "/complaints",
            {"text": "x", "sale_journal_id": str(undone.journal_id)},
            409,
            "sale_undone",
        ),
    ]
    for path, body, status, code in cases:
        response = _post(client, base + path, body)
        assert response.status_code == status, response.content
        payload = response.json()
        assert payload["code"] == code
        assert payload["message"]["zh-hans"] != payload["message"]["en"]
    response = _post(
        client,
        base + "/complaints",
        {"text": "退款后仍投诉", "sale_journal_id": str(refunded.journal_id)},
    )
    assert response.status_code == 201
    assert not Rating.objects.exists()
