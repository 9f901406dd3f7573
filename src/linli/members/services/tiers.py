"""Tiers (A§3.2 silver → gold → diamond; B§1.1 basic / VIP), interest groups, gift pack.

Tiers count direct referrals only (no team levels: B§3.1); the job records every change
with its reason.
"""

import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from linli.communities.audit import audit_record
from linli.communities.models import Community, PolicyVersion, TierScheme
from linli.communities.selectors import policy_in_force
from linli.errors import Conflict, DomainError, NotFound
from linli.members.models import (
    GiftPack,
    GroupMembership,
    InterestGroup,
    Member,
    Membership,
    MembershipStatus,
    Referral,
    Tier,
    TierChange,
)

GROUP_NAME_MAX = 50


class InvalidTierInput(DomainError):
    code = "invalid_input"


class GiftTaken(Conflict):
    code = "gift_already_claimed"


class GroupMembershipExists(Conflict):
    code = "already_in_group"


@dataclass(frozen=True)
class TierInputs:
    is_paid_member: bool
    active_direct_referrals: int  # direct referees with a running membership
    gold_direct_referrals: int  # direct referees who are gold (or above)


def tier_for(*, scheme: str, inputs: TierInputs, policy: PolicyVersion) -> str:
    """Pure: the tier a member's numbers earn under the policy."""
    if scheme == TierScheme.BASIC_VIP:
        return Tier.VIP if inputs.is_paid_member else Tier.BASIC
    if inputs.gold_direct_referrals >= policy.diamond_min_gold_referrals:
        return Tier.DIAMOND
    if inputs.active_direct_referrals >= policy.gold_min_direct_referrals:
        return Tier.GOLD
    return Tier.SILVER


def _inputs(member: Member, paid_ids: set[int], tiers: dict[int, str]) -> TierInputs:
    referees = list(Referral.objects.filter(referrer=member).values_list("referee_id", flat=True))
    return TierInputs(
        is_paid_member=member.id in paid_ids,
        active_direct_referrals=sum(1 for r in referees if r in paid_ids),
        gold_direct_referrals=sum(1 for r in referees if tiers.get(r) in (Tier.GOLD, Tier.DIAMOND)),
    )


def tiers_evaluate(*, community: Community, now: datetime | None = None) -> int:
    """The scheduled tier job: evaluate every open member, write a TierChange with the
    numbers behind it for each change. Gold first, then diamond (which counts golds)."""
    now = now or timezone.now()
    policy = policy_in_force(community=community, at=now)
    today = timezone.localdate(now)
    paid_ids = set(
        Membership.objects.filter(
            community=community, status=MembershipStatus.ACTIVE, starts_on__lte=today
        ).values_list("member_id", flat=True)
    )
    members = list(Member.objects.filter(community=community, closed_at__isnull=True))
    # Two passes: the first settles gold, the second lets diamond see this run's golds.
    tiers = {m.id: m.tier for m in members}
    for _pass in range(2):
        for member in members:
            tiers[member.id] = tier_for(
                scheme=policy.member_tier_scheme,
                inputs=_inputs(member, paid_ids, tiers),
                policy=policy,
            )
    changed = 0
    for member in members:
        new = tiers[member.id]
        if new == member.tier:
            continue
        inputs = _inputs(member, paid_ids, tiers)
        with transaction.atomic():
            TierChange.objects.create(
                community=community,
                member=member,
                tier_from=member.tier,
                tier_to=new,
                reason={
                    "is_paid_member": inputs.is_paid_member,
                    "active_direct_referrals": inputs.active_direct_referrals,
                    "gold_direct_referrals": inputs.gold_direct_referrals,
                    "gold_min_direct_referrals": policy.gold_min_direct_referrals,
                    "diamond_min_gold_referrals": policy.diamond_min_gold_referrals,
                },
                policy=policy,
                at=now,
            )
            Member.objects.filter(pk=member.pk).update(tier=new)
        changed += 1
    return changed


def group_create(*, member: Member, name: str) -> InterestGroup:
    """Create an interest group; the creator is its first member."""
    name = (name or "").strip()
    if not name or len(name) > GROUP_NAME_MAX or "\x00" in name:
        raise InvalidTierInput(_("Enter a group name of 1 to 50 characters."))
    try:
        with transaction.atomic():
            group = InterestGroup.objects.create(
                community=member.community, name=name, created_by=member
            )
            GroupMembership.objects.create(group=group, member=member)
            audit_record(
                actor=member.user,
                action="group.create",
                target=group,
                community=member.community,
                after={"name": name},
            )
    except IntegrityError:
        raise Conflict(_("A group with this name exists already.")) from None
    return group


def group_join(*, member: Member, group: InterestGroup) -> GroupMembership:
    if group.community_id != member.community_id:
        raise NotFound()
    try:
        with transaction.atomic():
            return GroupMembership.objects.create(group=group, member=member)
    except IntegrityError:
        raise GroupMembershipExists(_("You are in this group already.")) from None


def group_leave(*, member: Member, group: InterestGroup) -> None:
    GroupMembership.objects.filter(group=group, member=member).delete()


def group_has_discount(*, group: InterestGroup) -> bool:
    """At the policy's size the group unlocks the extra discount merchants set (A§2.2)."""
    policy = policy_in_force(community=group.community)
    return group.members.count() >= policy.interest_group_min_members


def gift_pack_claim(*, member: Member, store_name: str, actor: Any = None) -> GiftPack:
    """The "1 yuan swap" gift pack (A§5): one per household, at a named store."""
    policy = policy_in_force(community=member.community)
    store_name = (store_name or "").strip()
    if policy.new_member_gift_value_fen == 0:
        raise InvalidTierInput(_("This community has no new-member gift pack."))
    if member.household_id is None:
        raise InvalidTierInput(_("The gift pack is per household: add your building and flat."))
    if not store_name or len(store_name) > 100 or "\x00" in store_name:
        raise InvalidTierInput(_("Choose the store where you pick it up."))
    try:
        with transaction.atomic():
            gift = GiftPack.objects.create(
                community=member.community,
                household_id=member.household_id,
                member=member,
                store_name=store_name,
                value_fen=policy.new_member_gift_value_fen,
                price_fen=policy.new_member_gift_price_fen,
                code=secrets.token_hex(4).upper(),
            )
            audit_record(
                actor=actor or member.user,
                action="gift.claim",
                target=gift,
                community=member.community,
                after={"store": store_name},
            )
    except IntegrityError:
        raise GiftTaken(_("Your household has already claimed its gift pack.")) from None
    return gift


def gold_spend_reward(*, buyer: Member, spend_fen: int, sale_ref: str, actor: Any = None) -> int:
    """A§3.2: a gold (or diamond) member earns `gold_team_spend_bp` of their *direct*
    referees' spend as time coins (never deeper). Commerce calls this per sale once it is
    past the return window. Returns the TIME units posted (scale 2: 100 = 1 coin)."""
    from linli.ledger.models import AccountKind
    from linli.ledger.services import Leg, account_open, chart_ensure, journal_post

    if spend_fen <= 0:
        raise InvalidTierInput(_("The spend must be positive."))
    referral = Referral.objects.select_related("referrer").filter(referee=buyer).first()
    if referral is None or referral.referrer.tier not in (Tier.GOLD, Tier.DIAMOND):
        return 0
    community = buyer.community
    policy = policy_in_force(community=community)
    # value in fen → coins at the policy's coin value → TIME units (1 coin = 100 units)
    units = spend_fen * policy.gold_team_spend_bp * 100 // (10_000 * policy.coin_value_fen)
    if units == 0:
        return 0
    wallet = account_open(
        community=community,
        kind=AccountKind.MEMBER_WALLET,
        asset="TIME",
        owner_type="member",
        owner_id=referral.referrer_id,
    )
    source = chart_ensure(community=community)[(AccountKind.ISSUANCE, "TIME")]
    posted = journal_post(
        community=community,
        code="member.gold_spend_reward",
        legs=[Leg(source.id, wallet.id, units)],
        idempotency_key=f"gold-spend:{sale_ref}",
        actor=actor,
        policy=policy,
        memo=f"sale {sale_ref}",
    )
    return 0 if posted.replayed else units
