"""The owned ledger accounts commerce moves money between: one home for opening them.

`account_open` (linli.ledger.services) returns the account, creating it on first use.
"""

from linli.ledger.models import Account, AccountKind
from linli.ledger.services import account_open
from linli.members.models import Member
from linli.merchants.models import Merchant


def member_wallet(member: Member, asset: str = "CNY") -> Account:
    """A member's wallet in one asset (CNY, TIME coins or PTS points)."""
    return account_open(
        community=member.community,
        kind=AccountKind.MEMBER_WALLET,
        asset=asset,
        owner_type="member",
        owner_id=member.id,
    )


def member_frozen_points(member: Member) -> Account:
    """A member's frozen points: cash-back not spendable until the sale's return window
    closes (`linli.commerce.lots` releases it into the PTS wallet)."""
    return account_open(
        community=member.community,
        kind=AccountKind.MEMBER_FROZEN,
        asset="PTS",
        owner_type="member",
        owner_id=member.id,
    )


def merchant_account(merchant: Merchant, asset: str = "CNY") -> Account:
    """A merchant's account in one asset (what it is owed and what it can pay from)."""
    return account_open(
        community=merchant.community,
        kind=AccountKind.MERCHANT,
        asset=asset,
        owner_type="merchant",
        owner_id=merchant.id,
    )
