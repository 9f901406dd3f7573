"""`linli demo` admits the demo merchant `shop` once, with its fee and deposit posted."""

from django.core.management import call_command

from linli.communities.models import Community
from linli.ledger.verification import ledger_verify
from linli.merchants.models import Merchant
from linli.merchants.selectors import deposit_held_fen


def test_demo_admits_shop_once(db):
    call_command("demo")
    call_command("demo")
    community = Community.objects.get(slug="yangguang")
    merchant = Merchant.objects.get(community=community)
    assert merchant.owner.username == "shop" and merchant.industry.code == "supermarket"
    assert deposit_held_fen(merchant=merchant) == merchant.deposit_required_fen
    assert ledger_verify(community=community).problem is None
