"""A referral qualifies by the referee's first real purchase (SPEC, compliance: "a first
purchase after the return window, or the first year's fee kept past its refund period"),
in every preset — it is a compliance rule, not a policy setting.

Why only after the return window: a purchase that can still be refunded is not yet real
activity, and once the window has passed `sale_refund` refuses, so a reward earned this
way never has to be reversed. An undone or fully refunded sale never qualifies; a partly
refunded one does (something was bought and kept). The reward itself, its yearly cap and
its journal belong to `linli.members.services.referral_qualify`.
"""

from datetime import datetime, timedelta

from django.utils import timezone

from linli.commerce.models import Sale, SaleStatus
from linli.communities.models import Community
from linli.members.models import Referral, ReferralStatus
from linli.members.services import referral_qualify
from linli.members.services.referrals import QUALIFY_FIRST_PURCHASE

KEPT = (SaleStatus.CONSUMED, SaleStatus.PARTLY_REFUNDED)


def referrals_qualify_by_purchase(*, community: Community, now: datetime | None = None) -> int:
    """Daily: qualify each pending referral whose referee has a kept purchase past its
    return window. Returns how many qualified; running it again changes nothing."""
    now = now or timezone.now()
    pending = Referral.objects.filter(community=community, status=ReferralStatus.PENDING).values(
        "referee_id"
    )
    sales = (
        Sale.objects.filter(community=community, member_id__in=pending, status__in=KEPT)
        .select_related("policy", "member")
        .order_by("created_at", "id")
    )
    qualified, seen = 0, set()
    for sale in sales:
        if sale.member_id in seen:
            continue
        if sale.created_at + timedelta(days=sale.policy.return_window_days) > now:
            continue
        seen.add(sale.member_id)
        if referral_qualify(referee=sale.member, reason=QUALIFY_FIRST_PURCHASE, now=now):
            qualified += 1
    return qualified
