"""The shops and the crowd for `bench/sales.py`: one preset-A community with merchants, one
cashier login (API token) per till, and many members with cards, some with coins or points.

Merchants, cashiers, tokens and every ledger posting go through the services (admission fee
and deposit, wallet funding from issuance). The crowd itself (users, member profiles, cards,
referrals) is bulk-inserted: those rows carry no money, and thousands of members one by one
through the services would make setup longer than the run. A member code is single use per
30-second step, so the client keeps each card's secret and computes codes with the same
function as the server (`linli.commerce.cards.one_time_code`).
"""

import base64
import secrets
from dataclasses import dataclass, field
from decimal import Decimal

SLUG = "bench-sales"
CARD_ID_BASE = 10_000_000  # 8-digit card ids: 10000000, 10000001, …
FUNDING_UNITS = 10**10  # coin units / points per funded wallet, far beyond any run
LEGS_PER_JOURNAL = 16  # journal_post's limit
CASHIER_PASSWORD = "Bench-till-2026!"


class Mix:
    """How a member pays: cash only, cash + coins, or cash + points (every third member)."""

    CASH = "cash"
    COINS = "coins"
    POINTS = "points"
    ORDER = (CASH, COINS, POINTS)


@dataclass
class Shopper:
    """A member as the bench's client knows them: the card and the secret behind its code."""

    member_id: int
    code_id: str
    secret: bytes
    mix: str
    last_step: int = 0  # the latest 30-second step this client has used (mirrors the card)
    busy: bool = False  # a sale of theirs is in flight: never two at once for one card


@dataclass
class Till:
    merchant_id: int
    token: str


@dataclass
class SalesWorld:
    community_id: int
    slug: str
    tills: list[Till]
    shoppers: list[Shopper] = field(default_factory=list)


def build_world(*, tills: int, members: int) -> SalesWorld:
    """`tills` cashier logins spread over up to one merchant per leaf industry, and
    `members` members with cards; a third pay part in coins, a third part in points."""
    from linli.communities.services import community_create
    from linli.merchants.models import Industry
    from linli.merchants.services import industries_ensure

    community = community_create(
        name="压测社区",
        slug=SLUG,
        preset="A",
        centre_lat=Decimal("31.230416"),
        centre_lng=Decimal("121.473701"),
        radius_m=1000,
        actor=None,
    )
    industries_ensure(community=community)
    leaves = list(Industry.objects.filter(community=community, parent__isnull=False).order_by("id"))
    merchants = [_merchant(community, industry, n) for n, industry in enumerate(leaves[:tills])]
    world = SalesWorld(
        community_id=community.id,
        slug=SLUG,
        tills=[_till(merchants[n % len(merchants)], n) for n in range(tills)],
    )
    world.shoppers = _crowd(community, members, referrers=[m.owner for m in merchants])
    _fund(community, world.shoppers)
    return world


def _merchant(community, industry, n: int):
    """A member who applies for the industry's seat and is admitted (fee and deposit posted)."""
    from django.contrib.auth import get_user_model

    from linli.members.models import Member
    from linli.merchants.services import application_submit, merchant_admit

    owner = get_user_model().objects.create_user(username=f"bench-owner-{n}", password=None)
    Member.objects.create(
        user=owner, community=community, display_name=f"店主{n}", tier="gold" if n % 2 else "silver"
    )
    application = application_submit(
        community=community,
        applicant=owner,
        industry=industry,
        business_name=f"压测商家 {n}",
        licence_no=f"91310000BENCH{n:05d}",
        address="幸福路 1 号",
        lat=community.centre_lat,
        lng=community.centre_lng,
        contact_phone="13800000000",
        exclusivity_accepted=True,
    )
    return merchant_admit(application=application, actor=None)


def _till(merchant, n: int) -> Till:
    from linli.members.services import api_token_create
    from linli.merchants.services import staff_add

    staff = staff_add(
        merchant=merchant, username=f"bench-till-{n}", password=CASHIER_PASSWORD, actor=None
    )
    return Till(merchant_id=merchant.id, token=api_token_create(user=staff.user, name="bench"))


def _crowd(community, count: int, referrers: list) -> list[Shopper]:
    """Users, member profiles (silver), cards; every fourth member referred by a shop owner
    (so sales carry the cross-referral rebate and, for gold owners, the gold share)."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password

    from linli.commerce.models import MemberCard
    from linli.members import pii
    from linli.members.models import Member, Referral, ReferralStatus

    user_model = get_user_model()
    unusable = make_password(None)
    user_model.objects.bulk_create(
        [user_model(username=f"bench-m{i}", password=unusable) for i in range(count)],
        batch_size=1000,
    )
    users = list(user_model.objects.filter(username__startswith="bench-m").order_by("id"))
    Member.objects.bulk_create(
        [
            Member(user=u, community=community, display_name=f"会员{i}", tier="silver")
            for i, u in enumerate(users)
        ],
        batch_size=1000,
    )
    members = list(Member.objects.filter(user__in=users).order_by("id"))
    secrets_by_member = {m.id: secrets.token_bytes(20) for m in members}
    MemberCard.objects.bulk_create(
        [
            MemberCard(
                community=community,
                member=m,
                code_id=f"{CARD_ID_BASE + i:08d}",
                secret_cipher=pii.encrypt(base64.b64encode(secrets_by_member[m.id]).decode()),
            )
            for i, m in enumerate(members)
        ],
        batch_size=1000,
    )
    owners = {m.user_id: m for m in Member.objects.filter(user__in=referrers)}
    Referral.objects.bulk_create(
        [
            Referral(
                community=community,
                referrer=owners[referrers[i % len(referrers)].id],
                referee=m,
                status=ReferralStatus.REWARDED,
            )
            for i, m in enumerate(members)
            if i % 4 == 0
        ],
        batch_size=1000,
    )
    return [
        Shopper(
            member_id=m.id,
            code_id=f"{CARD_ID_BASE + i:08d}",
            secret=secrets_by_member[m.id],
            mix=Mix.ORDER[i % len(Mix.ORDER)],
        )
        for i, m in enumerate(members)
    ]


def _fund(community, shoppers: list[Shopper]) -> None:
    """Coins or points from issuance into each paying-in-kind member's wallet, through
    `journal_post`, 16 wallets a journal."""
    from linli.communities.selectors import policy_in_force
    from linli.ledger.models import AccountKind
    from linli.ledger.services import Leg, account_open, chart_ensure

    chart = chart_ensure(community=community)
    policy = policy_in_force(community=community)
    legs: list[Leg] = []
    for shopper in shoppers:
        if shopper.mix == Mix.CASH:
            continue
        asset = "TIME" if shopper.mix == Mix.COINS else "PTS"
        wallet = account_open(
            community=community,
            kind=AccountKind.MEMBER_WALLET,
            asset=asset,
            owner_type="member",
            owner_id=shopper.member_id,
        )
        legs.append(Leg(chart[(AccountKind.ISSUANCE, asset)].id, wallet.id, FUNDING_UNITS))
        if len(legs) == LEGS_PER_JOURNAL:
            _post_funding(community, policy, legs)
            legs = []
    if legs:
        _post_funding(community, policy, legs)


def _post_funding(community, policy, legs) -> None:
    from linli.ledger.services import journal_post

    journal_post(
        community=community,
        code="bench_fund",
        legs=legs,
        idempotency_key=f"bench-fund:{legs[0].credit_account_id}",
        policy=policy,
        memo="bench: wallets funded from issuance",
    )
