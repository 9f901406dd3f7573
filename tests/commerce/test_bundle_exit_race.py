"""A leaving shop's seat closes while its till redeems a bundle piece (PostgreSQL, real
threads). The closing locks the shop's open pieces (exit hook phase "prepare") before any
ledger account, as the till locks the piece's row before the accounts: whichever goes
first, the other waits. Either the piece is handed over (the shop paid its share) or it
is voided (the share back in the member's wallet, the till told `bundle_expired`) —
never both, never neither, and the ledger verifies."""

from datetime import timedelta

import pytest

from linli.commerce import bundles
from linli.commerce.bundle_models import BundlePiece, PieceStatus
from linli.ledger.models import Transfer
from linli.ledger.selectors import account_balances
from linli.ledger.verification import ledger_verify
from linli.merchants.models import Merchant, MerchantStatus
from linli.merchants.services import merchant_exit_complete, merchant_exit_request
from tests.commerce.conftest import fund, merchant_of, wallet_of
from tests.commerce.test_bundle_exit import _bundle
from tests.factories import make_community, make_member, make_merchant
from tests.threads import run_threads

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres_only]


@pytest.mark.parametrize("trial", range(3))
def test_closing_and_redeeming_a_piece_at_once(transactional_db, trial):
    community = make_community("A")
    shops = [
        make_merchant(community, "supermarket"),
        make_merchant(community, "dry-cleaning"),
        make_merchant(community, "kids-classes"),
    ]
    laundry = shops[1]
    pack = _bundle(community, shops)
    member = make_member(community)
    fund(member, "TIME", 20_000)
    order, _ = bundles.bundle_buy(bundle=pack, member=member, asset="TIME", request_no="r")
    piece = order.pieces.get(merchant=laundry)
    shop = merchant_exit_request(merchant=laundry, actor=laundry.owner)
    closing_at = shop.exit_effective_at + timedelta(seconds=1)

    results = run_threads(
        [
            lambda: merchant_exit_complete(
                merchant=Merchant.objects.get(pk=shop.pk), actor=None, now=closing_at
            ),
            lambda: bundles.bundle_redeem(merchant=shop, clerk=shop.owner, code=piece.code),
        ]
    )

    assert isinstance(results[0], Merchant), results
    assert Merchant.objects.get(pk=shop.pk).status == MerchantStatus.EXITED
    piece.refresh_from_db()
    wallet = wallet_of(member, "TIME")
    held_elsewhere = sum(p.units for p in order.pieces.exclude(id=piece.id))
    if isinstance(results[1], BundlePiece):
        assert piece.status == PieceStatus.REDEEMED
        spent = piece.units
        assert account_balances(account=merchant_of(laundry, "TIME")).posted == piece.units
    else:
        assert isinstance(results[1], bundles.BundleExpired), results
        assert piece.status == PieceStatus.REFUNDED
        spent = 0
    assert account_balances(account=wallet).posted == 20_000 - spent
    assert account_balances(account=wallet).available == 20_000 - spent - held_elsewhere
    assert Transfer.objects.filter(pending_id=piece.hold_id).count() == 1
    assert merchant_of(laundry, "TIME").credits_pending == 0
    assert ledger_verify(community=community).problem is None
