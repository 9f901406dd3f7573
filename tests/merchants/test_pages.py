"""The pages without a browser: access, inline errors, the committee's and owner's forms."""

from django.test import Client
from django.utils import timezone

from linli.merchants.models import Hearing, MerchantDay, MonthlyOffer, QuarterlyScore
from linli.merchants.scoring import quarter_of
from tests.factories import make_merchant


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_public_page_needs_no_login(community):
    make_merchant(community, "fruit", name="鲜果坊")
    response = Client().get("/c/sunny/merchants/")
    assert response.status_code == 200 and "鲜果坊" in response.content.decode()
    assert Client().get("/c/nowhere/merchants/").status_code == 404


def test_console_is_for_the_merchants_staff_only(community, resident):
    merchant = make_merchant(community, "barber")
    assert _client(resident).get("/c/sunny/merchants/console/").status_code == 403
    owner = _client(merchant.owner)
    assert owner.get("/c/sunny/merchants/console/").status_code == 200
    bad = owner.post(
        "/c/sunny/merchants/console/", {"action": "offer", "title": "九折", "value_yuan": "-3"}
    )
    assert (
        bad.status_code == 400 and "金额必须是大于零的整数" in bad.content.decode()
    )  # zh-hans is the default
    good = owner.post(
        "/c/sunny/merchants/console/", {"action": "offer", "title": "九折", "value_yuan": "12.50"}
    )
    assert good.status_code == 302
    assert MonthlyOffer.objects.get(merchant=merchant).value_fen == 1_250


def test_committee_scores_the_quarter_and_decides_a_hearing(community, operator, resident):
    for code in ("fruit", "barber", "pharmacy", "bakery", "tutoring"):
        make_merchant(community, code)
    assert _client(resident).get("/c/sunny/merchants/committee/").status_code == 403
    client = _client(operator)
    assert (
        client.post("/c/sunny/merchants/committee/", {"action": "quarter_close"}).status_code == 302
    )
    quarter = quarter_of(timezone.localdate())
    assert QuarterlyScore.objects.filter(quarter=quarter).count() == 5
    again = client.post("/c/sunny/merchants/committee/", {"action": "quarter_close"})
    assert again.status_code == 400
    hearing = Hearing.objects.get(quarter=quarter)
    page = client.get("/c/sunny/merchants/committee/").content.decode()
    assert hearing.merchant.name in page
    client.post(
        "/c/sunny/merchants/committee/",
        {"action": "hearing", "hearing": hearing.id, "decision": "keep", "note": "改进"},
    )
    hearing.refresh_from_db()
    assert hearing.status == "kept"
    supermarket = community.industries.get(code="supermarket")
    client.post(
        "/c/sunny/merchants/committee/",
        {
            "action": "rota",
            "weekday": "2",
            "industry": supermarket.id,
            "joint_offer": "满100送干洗券",
        },
    )
    assert MerchantDay.objects.get(community=community, weekday=2).industry == supermarket
    assert "满100送干洗券" in Client().get("/c/sunny/merchants/").content.decode()


def test_admin_lists_merchants_read_only(community):
    from tests.factories import make_user

    make_merchant(community, "fruit", name="鲜果坊")
    admin_user = make_user(is_staff=True, is_superuser=True)
    client = _client(admin_user)
    listing = client.get("/admin/merchants/merchant/")
    assert listing.status_code == 200 and "鲜果坊" in listing.content.decode()
    assert client.get("/admin/merchants/merchant/add/").status_code == 403


def test_waiting_list_page_shows_place_and_takes_the_answer(community, operator):
    from datetime import timedelta

    from linli.merchants.models import WaitStatus
    from linli.merchants.services import merchant_exit_complete, merchant_exit_request
    from tests.factories import SHOP_LAT, SHOP_LNG, make_member
    from tests.merchants.test_api import _body

    holder = make_merchant(community, "fruit")
    user = make_member(community).user
    client = _client(user)
    body = _body(community)
    form = {
        "industry": str(body["industry_id"]),
        "business_name": "候补果园",
        "licence_no": "91310000MA1PAGE001",
        "address": "幸福路 5 号",
        "lat": str(SHOP_LAT),
        "lng": str(SHOP_LNG),
        "contact_phone": "13800000009",
        "exclusivity": "on",
    }
    refused = client.post("/c/sunny/merchants/apply/", form)
    assert refused.status_code == 400 and holder.name in refused.content.decode()
    queued = client.post("/c/sunny/merchants/apply/", {**form, "waiting_list": "on"})
    assert queued.status_code == 200 and 'data-testid="waiting-position"' in queued.content.decode()
    page = client.get("/c/sunny/merchants/waiting/").content.decode()
    assert "排第 1 位" in page  # zh-hans is the default
    assert _client(operator).get("/c/sunny/merchants/waiting/").status_code == 403
    committee = _client(operator).get("/c/sunny/merchants/committee/").content.decode()
    assert "候补果园" in committee

    merchant_exit_request(merchant=holder, actor=holder.owner)
    holder.refresh_from_db()
    merchant_exit_complete(
        merchant=holder, actor=operator, now=holder.exit_effective_at + timedelta(seconds=1)
    )
    entry = user.merchant_applications.get().waiting_entry
    assert client.post("/c/sunny/merchants/waiting/", {"entry": "x"}).status_code == 400
    accepted = client.post("/c/sunny/merchants/waiting/", {"entry": entry.id, "answer": "accept"})
    assert accepted.status_code == 302
    entry.refresh_from_db()
    assert entry.status == WaitStatus.ACCEPTED
