"""Referrals within the law (B§3.1, loyalty.md legal section): direct referrer only, one
level forever; a reward only after the referee's real activity, capped per year, reversed
when the fee is refunded. No team rewards.

Database guarantees live on `Referral` (unique referee, CHECK not self, CHECK referee newer
than referrer: no cycles); the checks here give clear errors before the database has to.
"""

from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from linli.communities.audit import audit_record
from linli.communities.models import Community
from linli.communities.selectors import policy_in_force
from linli.ledger.errors import InsufficientFunds
from linli.ledger.models import AccountKind
from linli.ledger.services import Leg, account_open, chart_ensure, journal_post, journal_reverse
from linli.members import errors
from linli.members.models import (
    Member,
    Membership,
    MembershipStatus,
    Referral,
    ReferralStatus,
)
from linli.members.notices import notice_send

QUALIFY_FIRST_PURCHASE = "first_purchase"
QUALIFY_FEE_KEPT = "fee_kept"
QUALIFY_REASONS = (QUALIFY_FIRST_PURCHASE, QUALIFY_FEE_KEPT)


def referral_bind(*, referee: Member, code: str, now: datetime | None = None) -> Referral:
    """Bind the referrer named by `code` to `referee`. Only at registration, i.e. before the
    referee has any membership; the referrer must have joined before the referee."""
    now = now or timezone.now()
    code = (code or "").strip().upper()
    referrer = Member.objects.filter(
        community=referee.community, referral_code=code, closed_at__isnull=True
    ).first()
    if referrer is None or not code:
        raise errors.ReferralInvalid()
    if referrer.pk == referee.pk:
        raise errors.SelfReferral()
    if Referral.objects.filter(referee=referrer, referrer=referee).exists():
        raise errors.ReferralCycle()
    if Referral.objects.filter(referee=referee).exists():
        raise errors.AlreadyReferred()
    if referrer.pk > referee.pk or Membership.objects.filter(member=referee).exists():
        # Bound at registration only: an older member cannot pick a referrer later.
        raise errors.ReferralInvalid()
    if referee.household_id is not None and referee.household_id == referrer.household_id:
        raise errors.ReferralSameHousehold()
    day_ago = now - timedelta(days=1)
    daily_max = policy_in_force(
        community=referee.community, at=now
    ).referrals_per_referrer_daily_max
    if Referral.objects.filter(referrer=referrer, created_at__gt=day_ago).count() >= daily_max:
        raise errors.ReferralTooFast()
    try:
        with transaction.atomic():
            referral = Referral.objects.create(
                community=referee.community, referrer=referrer, referee=referee, created_at=now
            )
    except IntegrityError:
        raise errors.AlreadyReferred() from None
    return referral


def _year_rewarded(*, referrer: Member, year: int) -> int:
    return Referral.objects.filter(
        referrer=referrer, status=ReferralStatus.REWARDED, qualified_at__year=year
    ).count()


def referral_qualify(
    *, referee: Member, reason: str, now: datetime | None = None, actor: Any = None
) -> Referral | None:
    """The referee's real activity qualifies the referral: commerce calls this with
    `first_purchase` once a first purchase is past its return window; the fee job calls it
    with `fee_kept`. Posts the policy's reward to the direct referrer (from issuance for
    coins/points, from platform subsidies for yuan) unless this year's cap is reached.
    Returns None when the referee has no pending referral."""
    if reason not in QUALIFY_REASONS:
        raise ValueError(f"unknown qualification {reason!r}")
    now = now or timezone.now()
    community = referee.community
    policy = policy_in_force(community=community, at=now)
    with transaction.atomic():
        referral = (
            Referral.objects.select_for_update()
            .select_related("referrer")
            .filter(referee=referee, status=ReferralStatus.PENDING)
            .first()
        )
        if referral is None:
            return None
        # Lock the referrer's row so two qualifications cannot both slip under the cap.
        Member.objects.select_for_update().filter(pk=referral.referrer_id).first()
        referral.qualified_at = now
        referral.qualified_by = reason
        capped = _year_rewarded(referrer=referral.referrer, year=now.year) >= (
            policy.referral_reward_yearly_cap
        )
        if capped or policy.referral_reward_units == 0:
            referral.status = ReferralStatus.CAPPED
            notice_send(member=referral.referrer, kind="referral_capped")
        else:
            asset = policy.referral_reward_asset
            source_kind = AccountKind.SUBSIDY if asset == "CNY" else AccountKind.ISSUANCE
            source = chart_ensure(community=community)[(source_kind, asset)]
            wallet = account_open(
                community=community,
                kind=AccountKind.MEMBER_WALLET,
                asset=asset,
                owner_type="member",
                owner_id=referral.referrer_id,
            )
            posted = journal_post(
                community=community,
                code="member.referral_reward",
                legs=[Leg(source.id, wallet.id, policy.referral_reward_units)],
                idempotency_key=f"referral-reward:{referral.id}",
                actor=actor,
                policy=policy,
                memo=f"referral {referral.id} ({reason})",
            )
            referral.status = ReferralStatus.REWARDED
            referral.reward_journal_id = posted.journal_id
            referral.reward_units = policy.referral_reward_units
            referral.reward_asset = asset
            notice_send(member=referral.referrer, kind="referral_rewarded")
        referral.save()
        audit_record(
            actor=actor,
            action="referral.qualify",
            target=referral,
            after={"status": referral.status, "reason": reason},
        )
    return referral


def referral_reverse_for_refund(*, referee: Member, actor: Any) -> Referral | None:
    """The referee's fee was refunded: reverse the reward it earned (a new journal).
    If the referrer already spent it, the referral is marked reversed without a posting
    and the audit row says so; member wallets never go negative."""
    referral = (
        Referral.objects.select_for_update()
        .filter(referee=referee, status=ReferralStatus.REWARDED, qualified_by=QUALIFY_FEE_KEPT)
        .first()
    )
    if referral is None or referral.reward_journal_id is None:
        return None
    reversed_ok = True
    try:
        with transaction.atomic():
            journal_reverse(
                community=referral.community,
                journal_id=referral.reward_journal_id,
                idempotency_key=f"referral-reverse:{referral.id}",
                actor=actor,
                memo=f"referral {referral.id}: fee refunded",
            )
    except InsufficientFunds:
        reversed_ok = False
    referral.status = ReferralStatus.REVERSED
    referral.save(update_fields=["status"])
    audit_record(
        actor=actor,
        action="referral.reverse",
        target=referral,
        after={"status": referral.status, "posted": reversed_ok},
    )
    notice_send(member=referral.referrer, kind="referral_reversed")
    return referral


def referrals_qualify_due(*, community: Community, now: datetime | None = None) -> int:
    """Daily: referrals whose referee kept a paid fee past the full-refund window qualify."""
    from linli.members.services.fees import full_refund_until

    now = now or timezone.now()
    count = 0
    pending = Referral.objects.filter(community=community, status=ReferralStatus.PENDING)
    for referral in pending.select_related("referee").order_by("id"):
        kept = [
            m
            for m in Membership.objects.filter(
                member=referral.referee, status=MembershipStatus.ACTIVE, fee_fen__gt=0
            ).select_related("policy")
            if (until := full_refund_until(m)) is not None and until <= now
        ]
        if kept and referral_qualify(referee=referral.referee, reason=QUALIFY_FEE_KEPT, now=now):
            count += 1
    return count


def merchant_referral_reward(
    *, referrer: Member, merchant_ref: str, actor: Any = None, now: datetime | None = None
) -> int:
    """B§1.2: points to the member who introduced an admitted merchant (the merchants app
    calls this on admission). One reward per merchant (the key), none if the policy has 0.
    Returns the points posted (0 when off or replayed)."""
    now = now or timezone.now()
    community = referrer.community
    policy = policy_in_force(community=community, at=now)
    points = policy.merchant_referral_reward_points
    if points == 0 or referrer.closed_at is not None:
        return 0
    wallet = account_open(
        community=community,
        kind=AccountKind.MEMBER_WALLET,
        asset="PTS",
        owner_type="member",
        owner_id=referrer.id,
    )
    source = chart_ensure(community=community)[(AccountKind.ISSUANCE, "PTS")]
    posted = journal_post(
        community=community,
        code="member.merchant_referral",
        legs=[Leg(source.id, wallet.id, points)],
        idempotency_key=f"merchant-referral:{merchant_ref}",
        actor=actor,
        policy=policy,
        memo=f"merchant {merchant_ref} introduced by member {referrer.id}",
    )
    return 0 if posted.replayed else points
