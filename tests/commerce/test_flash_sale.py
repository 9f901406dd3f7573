"""积分秒杀: 50 buyers, 10 items, real threads on PostgreSQL — exactly 10 sold, nobody
charged without an item, the stock counter never past the stock."""

import threading

import pytest
from django.db import connection, connections

from linli.commerce import errors
from linli.commerce.models import FlashOrder, FlashSale
from linli.commerce.services import flash_sale_buy, flash_sale_create
from linli.ledger.verification import ledger_verify
from tests.commerce.conftest import balance, build_shop, fund, merchant_of, wallet_of
from tests.factories import make_member


def test_sold_out_and_one_per_member_on_any_database(db):
    shop = build_shop("B")
    item = flash_sale_create(merchant=shop.merchant, title="鸡蛋一盒", price_points=100, stock=1)
    fund(shop.buyer, "PTS", 500)
    flash_sale_buy(flash_sale=item, member=shop.buyer)
    with pytest.raises(errors.AlreadyBought):
        flash_sale_buy(flash_sale=item, member=shop.buyer)
    late = make_member(shop.community)
    fund(late, "PTS", 500)
    with pytest.raises(errors.SoldOut):
        flash_sale_buy(flash_sale=item, member=late)
    assert balance(wallet_of(late, "PTS")) == 500


@pytest.mark.django_db(transaction=True)
def test_fifty_buyers_ten_items_exactly_ten_sold():
    if connection.vendor != "postgresql":
        pytest.skip("real concurrency is tested on PostgreSQL")
    shop = build_shop("B")
    item = flash_sale_create(merchant=shop.merchant, title="大米 5kg", price_points=300, stock=10)
    buyers = [make_member(shop.community) for _ in range(50)]
    for buyer in buyers:
        fund(buyer, "PTS", 1_000)
    shop_points = merchant_of(shop.merchant, "PTS")
    before = balance(shop_points)
    results: list = [None] * len(buyers)
    barrier = threading.Barrier(len(buyers))

    def worker(i: int) -> None:
        try:
            barrier.wait()
            results[i] = flash_sale_buy(flash_sale=item, member=buyers[i])
        except Exception as exc:
            results[i] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(len(buyers))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    sold = [r for r in results if isinstance(r, FlashOrder)]
    refused = [r for r in results if isinstance(r, errors.SoldOut)]
    assert len(sold) == 10 and len(refused) == 40, [type(r) for r in results]
    item.refresh_from_db()
    assert item.sold == 10 == FlashOrder.objects.filter(flash_sale=item).count()
    assert balance(shop_points) - before == 10 * 300
    charged = [b for b in buyers if balance(wallet_of(b, "PTS")) == 700]
    assert len(charged) == 10
    assert FlashSale.objects.get(id=item.id).sold <= item.stock
    assert ledger_verify(community=shop.community).problem is None
