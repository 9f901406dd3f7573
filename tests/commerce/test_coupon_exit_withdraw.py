"""A withdrawn exit notice (issue 5) switches back on what the notice switched off — the
shop's coupons can be claimed again and the campaigns the notice stopped run again — but
only those: a coupon or campaign the owner had switched off before stays off, a campaign
whose other shop is itself leaving stays off until that notice is withdrawn too, and the
flash sales the notice closed stay closed (the leave page tells the owner)."""

import pytest
from django.test import Client

from linli.commerce import coupon_errors as errors
from linli.commerce.coupon_models import Coupon, CrossStoreCampaign
from linli.commerce.coupons import CouponTerms, campaign_switch, coupon_claim, coupon_create
from linli.commerce.models import FlashSale
from linli.commerce.services import flash_sale_create
from linli.communities.models import AuditEntry
from linli.merchants.services import merchant_exit_request, merchant_exit_withdraw
from tests.commerce.test_cross_store import Street


@pytest.fixture
def street(db) -> Street:
    return Street("A")


def _coupon(merchant, title="无门槛5元", active=True):
    coupon = coupon_create(
        merchant=merchant,
        terms=CouponTerms(kind="voucher", title=title, off_fen=500, stock=5, valid_days=30),
    )
    if not active:
        Coupon.objects.filter(id=coupon.id).update(is_active=False)
    return coupon


def test_withdrawn_notice_switches_back_on_only_what_the_notice_switched_off(street):
    on = _coupon(street.b)
    off_before = _coupon(street.b, "早已下架", active=False)
    campaign = street.campaign()
    idle = campaign_switch(campaign=street.campaign(name="没开的活动"), on=False)
    shop = merchant_exit_request(merchant=street.b, actor=street.b.owner)
    client = Client()
    client.force_login(street.b.owner)
    shown = client.get(
        f"/api/v1/merchants/communities/{street.community.slug}/merchants/{shop.id}/exit"
    ).json()
    assert (shown["coupons_paused"], shown["campaigns_paused"]) == (1, 1)
    assert shown["flash_sales_closed"] == 0
    assert not Coupon.objects.get(id=on.id).is_active
    assert not CrossStoreCampaign.objects.get(id=campaign.id).is_active
    with pytest.raises(errors.CouponNotFound):
        coupon_claim(community=street.community, coupon_id=on.id, member=street.buyer)

    merchant_exit_withdraw(merchant=shop, actor=street.b.owner)

    coupon_claim(community=street.community, coupon_id=on.id, member=street.buyer)
    assert Coupon.objects.get(id=on.id).exit_paused_at is None
    assert not Coupon.objects.get(id=off_before.id).is_active
    assert CrossStoreCampaign.objects.get(id=campaign.id).is_active
    assert not CrossStoreCampaign.objects.get(id=idle.id).is_active
    entry = AuditEntry.objects.filter(action="merchant.exit_withdraw").get()
    assert "linli.commerce.coupons:merchant_leaving" in entry.after["hooks"]


def test_campaign_stays_off_while_the_other_shop_is_still_leaving(street):
    campaign = street.campaign()
    a = merchant_exit_request(merchant=street.a, actor=street.a.owner)
    b = merchant_exit_request(merchant=street.b, actor=street.b.owner)
    merchant_exit_withdraw(merchant=b, actor=street.b.owner)
    assert not CrossStoreCampaign.objects.get(id=campaign.id).is_active
    merchant_exit_withdraw(merchant=a, actor=street.a.owner)
    assert CrossStoreCampaign.objects.get(id=campaign.id).is_active


def test_a_campaign_switched_off_by_hand_during_notice_stays_off(street):
    campaign = street.campaign()
    shop = merchant_exit_request(merchant=street.b, actor=street.b.owner)
    campaign_switch(campaign=CrossStoreCampaign.objects.get(id=campaign.id), on=False)
    merchant_exit_withdraw(merchant=shop, actor=street.b.owner)
    assert not CrossStoreCampaign.objects.get(id=campaign.id).is_active


@pytest.mark.parametrize(
    ("language", "closed_text", "message_text"),
    [
        ("en", "1 flash sale the notice closed stays closed", "1 coupon members can claim again"),
        ("zh-hans", "1 个限时抢购已结束，不会自动恢复", "1 张优惠券会员可以重新领取"),
    ],
)
def test_leave_page_tells_the_owner_what_comes_back_and_what_does_not(
    street, language, closed_text, message_text
):
    _coupon(street.b)
    flash = flash_sale_create(merchant=street.b, title="鸡蛋", price_points=100, stock=5)
    merchant_exit_request(merchant=street.b, actor=street.b.owner)
    assert FlashSale.objects.get(id=flash.id).stock == 0
    client = Client(headers={"accept-language": language})
    client.force_login(street.b.owner)
    url = f"/c/{street.community.slug}/merchants/console/leave/"
    page = client.get(url).content.decode()
    assert closed_text in page
    withdrawn = client.post(url, {"action": "withdraw"}, follow=True)
    assert withdrawn.status_code == 200
    assert message_text in withdrawn.content.decode()
    assert FlashSale.objects.get(id=flash.id).stock == 0  # stays closed
