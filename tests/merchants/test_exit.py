"""Leaving the alliance (issue 5): at notice, members who bought from the shop recently or
hold its flash-sale items get an inbox notice and its flash sales end; registered exit
hooks run at notice and before the seat closes, and one that refuses blocks the exit."""

from datetime import timedelta

import pytest

from linli.commerce import errors as commerce_errors
from linli.commerce.models import FlashSale
from linli.commerce.services import flash_sale_buy, flash_sale_create
from linli.communities.models import AuditEntry
from linli.members.models import Notice
from linli.merchants import errors, exit_hooks
from linli.merchants.models import MerchantStatus
from linli.merchants.services import merchant_exit_complete, merchant_exit_request
from tests.commerce.conftest import fund
from tests.factories import make_member, make_merchant
from tests.merchants.helpers import commerce_sale


def test_notice_reaches_buyers_and_holders_and_ends_flash_sales(community):
    merchant = make_merchant(community, "fruit", name="老王水果")
    other_shop = make_merchant(community, "barber")
    buyer, holder, stranger, elsewhere = (make_member(community) for _ in range(4))
    commerce_sale(merchant, buyer, 1)
    commerce_sale(other_shop, elsewhere, 1)
    flash = flash_sale_create(merchant=merchant, title="鸡蛋", price_points=100, stock=5)
    fund(holder, "PTS", 1_000)
    flash_sale_buy(flash_sale=flash, member=holder)

    merchant_exit_request(merchant=merchant, actor=merchant.owner)

    told = set(Notice.objects.filter(kind="merchant_leaving").values_list("member_id", flat=True))
    assert told == {buyer.id, holder.id}
    notice = Notice.objects.get(member=buyer, kind="merchant_leaving")
    assert notice.params["merchant"] == "老王水果"
    flash.refresh_from_db()
    assert (flash.stock, flash.sold) == (1, 1)
    fund(stranger, "PTS", 1_000)
    with pytest.raises(commerce_errors.SoldOut):
        flash_sale_buy(flash_sale=FlashSale.objects.get(pk=flash.pk), member=stranger)
    entry = AuditEntry.objects.filter(action="merchant.exit_request").latest("id")
    assert entry.after["hooks"] == list(exit_hooks.MERCHANT_EXIT_HOOKS)
    assert AuditEntry.objects.filter(action="commerce.flash_sale_close").count() == 1


def refuse_to_settle(*, merchant, phase, actor):
    if phase == "settle":
        raise errors.ExitBlocked(reason="coupons are still open")


def test_a_hook_that_cannot_settle_blocks_the_exit(community, operator, monkeypatch):
    merchant = make_merchant(community, "pharmacy")
    monkeypatch.setattr(
        exit_hooks,
        "MERCHANT_EXIT_HOOKS",
        (
            *exit_hooks.MERCHANT_EXIT_HOOKS,
            "linli.not_built_yet.coupons:settle",  # not there yet: skipped
            "tests.merchants.test_exit:refuse_to_settle",
        ),
    )
    merchant_exit_request(merchant=merchant, actor=merchant.owner)
    merchant.refresh_from_db()
    later = merchant.exit_effective_at + timedelta(seconds=1)
    with pytest.raises(errors.ExitBlocked):
        merchant_exit_complete(merchant=merchant, actor=operator, now=later)
    merchant.refresh_from_db()
    assert merchant.status == MerchantStatus.EXITING
    with pytest.raises(ValueError):
        exit_hooks.merchant_exit_hooks(merchant=merchant, phase="later", actor=None)
