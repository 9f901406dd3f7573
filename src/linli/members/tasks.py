"""Membership jobs run by the huey worker: monthly fee recognition; daily reminders,
lapses and referral qualification."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from linli.communities.models import Community
from linli.members.services import (
    fees_recognise,
    memberships_expire,
    referrals_qualify_due,
    tiers_evaluate,
)


@db_periodic_task(crontab(minute="10", hour="1", day="1"))
def recognise_fees() -> int:
    """On the 1st of every month: earned share of every fee, escrow → revenue."""
    return sum(fees_recognise(community=c) for c in Community.objects.order_by("id"))


@db_periodic_task(crontab(minute="20", hour="1"))
def membership_daily() -> int:
    done = 0
    for community in Community.objects.order_by("id"):
        counts = memberships_expire(community=community)
        done += counts["reminded"] + counts["lapsed"]
        done += referrals_qualify_due(community=community)
    return done


@db_periodic_task(crontab(minute="40", hour="1"))
def evaluate_tiers() -> int:
    """Nightly tier evaluation (A§3.2, B§1.1), with a history row per change."""
    return sum(tiers_evaluate(community=c) for c in Community.objects.order_by("id"))
