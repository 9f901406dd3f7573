"""The quarterly score and the bottom-20 % replacement (A§6.1 季度评分后20%淘汰).

Score (integer points, higher is better), over the quarter's seated merchants:
  sales to members    30 × sales / most sales          (net sales: commerce sales that
                                                        stand; undone and fully refunded
                                                        ones do not count, a partly
                                                        refunded one counts once)
  ratings             25 × average stars / 5           (no ratings: 3 stars, neutral)
  duties met          15 × months met / 3              (offer ≥ the policy share and
                                                        referrals ≥ the policy minimum)
  members referred    10 × referrals / most referrals
  verified complaints −20 × complaints / most complaints
each term scaled by 100 and floored, so the score runs from −2000 to 8000. The weights
are the policy's (`merchant_score_*`); the numbers above are both presets' values.

Ranking: score descending; a tie goes to the merchant admitted earlier (seniority), then
to the lower id. The bottom ⌊n × quarterly_replace_bottom_bp / 10 000⌋ are marked for
replacement (20 % of 5 merchants = 1; of 4 = 0), and each gets a hearing; the committee
decides, and a replacement reopens the seat (`merchant_remove`, not black-listed).
"""

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.db import transaction
from django.db.models import Avg
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from linli.commerce.selectors import NetSales, merchant_net_sales
from linli.communities.audit import audit_record
from linli.communities.models import Community
from linli.communities.selectors import policy_in_force
from linli.errors import Conflict
from linli.merchants import errors
from linli.merchants.duties import month_bounds, offer_check
from linli.merchants.models import (
    Complaint,
    ComplaintStatus,
    Hearing,
    HearingStatus,
    Merchant,
    MerchantStatus,
    QuarterlyScore,
    Rating,
)
from linli.merchants.selectors import referrals_in_month


def score_weights(policy: Any) -> dict[str, int]:
    """The policy's weight of each part of the score; complaints are a penalty."""
    return {
        "sales": policy.merchant_score_sales_weight,
        "rating": policy.merchant_score_rating_weight,
        "duties": policy.merchant_score_duties_weight,
        "referrals": policy.merchant_score_referrals_weight,
        "complaints": -policy.merchant_score_complaints_penalty,
    }


NEUTRAL_STARS_X100 = 300


class QuarterClosed(Conflict):
    code = "quarter_closed"
    message = _("This quarter has already been scored.")


@dataclass(frozen=True)
class Scored:
    merchant: Merchant
    score: int
    components: dict[str, int]


def quarter_of(day: date) -> str:
    return f"{day.year}Q{(day.month - 1) // 3 + 1}"


def quarter_months(quarter: str) -> list[date]:
    year, number = int(quarter[:4]), int(quarter[5])
    return [date(year, 3 * (number - 1) + m, 1) for m in (1, 2, 3)]


def _raw(
    merchant: Merchant,
    months: list[date],
    start: datetime,
    end: datetime,
    net_sales: dict[int, NetSales],
) -> dict[str, int]:
    policy = policy_in_force(community=merchant.community)
    ratings = Rating.objects.filter(merchant=merchant, created_at__gte=start, created_at__lt=end)
    average = ratings.aggregate(a=Avg("stars"))["a"]
    referrals = [referrals_in_month(merchant=merchant, month=m) for m in months]
    duties = sum(
        1
        for m, referred in zip(months, referrals, strict=True)
        if not offer_check(merchant=merchant, month=m).is_short
        and referred >= policy.merchant_min_referrals_per_month
    )
    return {
        "sales": net_sales[merchant.id].count,
        "rating": NEUTRAL_STARS_X100 if average is None else round(float(average) * 100),
        "duties": duties,
        "referrals": sum(referrals),
        "complaints": Complaint.objects.filter(
            merchant=merchant,
            status=ComplaintStatus.VERIFIED,
            decided_at__gte=start,
            decided_at__lt=end,
        ).count(),
    }


def _points(value: int, weight: int, ceiling: int) -> int:
    """weight × 100 × value / ceiling, floored in magnitude; a penalty is negative."""
    if ceiling == 0:
        return 0
    magnitude = value * abs(weight) * 100 // ceiling
    return magnitude if weight > 0 else -magnitude


def quarter_scores(*, community: Community, quarter: str) -> list[Scored]:
    """Every active merchant's score for the quarter, ranked best first (see module doc)."""
    months = quarter_months(quarter)
    start, _ = month_bounds(months[0])
    _, end = month_bounds(months[-1])
    merchants = list(
        Merchant.objects.filter(community=community, status=MerchantStatus.ACTIVE).order_by(
            "admitted_at", "id"
        )
    )
    net_sales = merchant_net_sales(merchant_ids=[m.id for m in merchants], since=start, until=end)
    raw = {m.id: _raw(m, months, start, end, net_sales) for m in merchants}
    ceilings = {
        "sales": max([r["sales"] for r in raw.values()], default=0),
        "rating": 500,
        "duties": 3,
        "referrals": max([r["referrals"] for r in raw.values()], default=0),
        "complaints": max([r["complaints"] for r in raw.values()], default=0),
    }
    weights = score_weights(policy_in_force(community=community))
    scored = []
    for merchant in merchants:
        parts = {
            name: _points(raw[merchant.id][name], weight, ceilings[name])
            for name, weight in weights.items()
        }
        scored.append(
            Scored(
                merchant,
                sum(parts.values()),
                {**raw[merchant.id], **{f"{k}_points": v for k, v in parts.items()}},
            )
        )
    # Stable sort: merchants are already in (admitted_at, id) order, so ties keep seniority.
    return sorted(scored, key=lambda s: -s.score)


def quarter_close(*, community: Community, quarter: str, actor: Any) -> list[QuarterlyScore]:
    """Publish the quarter's ranking to the committee, mark the bottom share for
    replacement and open a hearing for each (A§6.1). Once per quarter."""
    if not isinstance(quarter, str) or len(quarter) != 6 or quarter[4] != "Q":
        raise errors.ApplicationInvalid(fields={"quarter": "like 2026Q3"})
    policy = policy_in_force(community=community)
    ranked = quarter_scores(community=community, quarter=quarter)
    bottom = len(ranked) * policy.quarterly_replace_bottom_bp // 10_000
    with transaction.atomic():
        if QuarterlyScore.objects.filter(community=community, quarter=quarter).exists():
            raise QuarterClosed()
        rows = []
        for rank, entry in enumerate(ranked, start=1):
            marked = rank > len(ranked) - bottom
            row = QuarterlyScore.objects.create(
                community=community,
                merchant=entry.merchant,
                quarter=quarter,
                score=entry.score,
                rank=rank,
                components=entry.components,
                marked_for_replacement=marked,
            )
            rows.append(row)
            audit_record(
                actor=actor,
                action="merchant.quarter_score",
                target=row,
                after={"score": entry.score, "rank": rank, "marked": marked},
            )
            if marked:
                hearing = Hearing.objects.create(
                    community=community,
                    merchant=entry.merchant,
                    reason="quarterly_bottom",
                    quarter=quarter,
                )
                audit_record(actor=actor, action="merchant.hearing_open", target=hearing)
    return rows


def hearing_decide(*, hearing: Hearing, replace: bool, note: str, actor: Any) -> Hearing:
    """The committee's decision after the hearing; a replacement reopens the seat."""
    from linli.merchants.trust import merchant_remove

    with transaction.atomic():
        current = Hearing.objects.select_for_update().get(pk=hearing.pk)
        if current.status != HearingStatus.OPEN:
            raise errors.ComplaintNotOpen()
        current.status = HearingStatus.REPLACED if replace else HearingStatus.KEPT
        current.decision_note = (note or "")[:500]
        current.decided_by = actor
        current.decided_at = timezone.now()
        current.save(update_fields=["status", "decision_note", "decided_by", "decided_at"])
        audit_record(
            actor=actor,
            action="merchant.hearing_decide",
            target=current,
            after={"replace": replace, "note": current.decision_note},
        )
        if replace:
            merchant_remove(
                merchant=current.merchant,
                reason=note or "quarterly score",
                blacklist=current.reason == "red_list",
                actor=actor,
            )
    return current
