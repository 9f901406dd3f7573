"""Bundles under real concurrency on PostgreSQL: eight tills tapping "redeem" on the same
piece at once pay the merchant once; eight taps of "buy" with one request number hold
the member's coins once."""

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection, connections

from linli.commerce import bundles
from linli.commerce.bundle_models import BundleOrder, BundlePiece, PieceStatus
from linli.ledger.verification import ledger_verify
from tests.commerce.conftest import fund, merchant_of, wallet_of
from tests.commerce.test_bundles import _available, _family_pack, _posted
from tests.factories import make_community, make_member

TAPS = 8


def _race(action: Callable[[], Any]) -> list[Any]:
    results: list[Any] = [None] * TAPS
    barrier = threading.Barrier(TAPS)

    def worker(i: int) -> None:
        try:
            barrier.wait()
            results[i] = action()
        except Exception as exc:
            results[i] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(TAPS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


@pytest.fixture
def pack(transactional_db: None) -> Any:
    if connection.vendor != "postgresql":
        pytest.skip("real concurrency is tested on PostgreSQL")
    community = make_community("A")
    bundle, grocer, _laundry, _school = _family_pack(community)
    buyer = make_member(community)
    fund(buyer, "TIME", 20_000)
    return community, bundle, grocer, buyer


def test_the_same_piece_redeemed_at_once_pays_the_merchant_once(pack):
    community, bundle, grocer, buyer = pack
    order, _ = bundles.bundle_buy(bundle=bundle, member=buyer, asset="TIME", request_no="c")
    code = order.pieces.get(merchant=grocer).code
    results = _race(lambda: bundles.bundle_redeem(merchant=grocer, clerk=grocer.owner, code=code))
    redeemed = [r for r in results if isinstance(r, BundlePiece)]
    refused = [r for r in results if isinstance(r, bundles.PieceAlreadyRedeemed)]
    assert (len(redeemed), len(refused)) == (1, TAPS - 1), [type(r) for r in results]
    assert BundlePiece.objects.get(code=code).status == PieceStatus.REDEEMED
    assert _posted(merchant_of(grocer, "TIME")) == 9_066
    assert ledger_verify(community=community).problem is None


def test_the_same_purchase_tapped_at_once_holds_once(pack):
    community, bundle, _grocer, buyer = pack
    results = _race(
        lambda: bundles.bundle_buy(bundle=bundle, member=buyer, asset="TIME", request_no="same")
    )
    assert all(isinstance(r, tuple) for r in results), [type(r) for r in results]
    assert len({order.id for order, _replayed in results}) == 1
    assert BundleOrder.objects.count() == 1
    assert _available(wallet_of(buyer, "TIME")) == 20_000 - 18_888
    assert ledger_verify(community=community).problem is None
