"""Alliance commerce's periodic jobs, run by the huey worker beside the web server."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from linli.commerce.bundles import bundles_expire
from linli.commerce.groupbuys import group_buys_close_due
from linli.commerce.lots import (
    lots_reconcile_all,
    points_expire_due,
    points_release_due,
    points_remind_due,
)
from linli.commerce.referrals import referrals_qualify_by_purchase
from linli.communities.models import Community


@db_periodic_task(crontab(minute="*"))
def close_due_group_buys() -> int:
    """Settle or void every group-buy whose deadline has passed (idempotent)."""
    return group_buys_close_due()


@db_periodic_task(crontab(minute="*/5"))
def expire_bundles() -> int:
    """Return unredeemed bundle pieces to their members once the bundle has expired."""
    return bundles_expire()


@db_periodic_task(crontab(minute="30", hour="1"))
def referrals_by_purchase() -> int:
    """Nightly: referrals whose referee's first kept purchase is past the return window."""
    return sum(referrals_qualify_by_purchase(community=c) for c in Community.objects.order_by("id"))


@db_periodic_task(crontab(minute="*/5"))
def release_frozen_points() -> int:
    """Cash-back points whose sale's return window has closed become spendable."""
    return points_release_due()


@db_periodic_task(crontab(minute="10", hour="0"))
def points_lots_nightly() -> int:
    """Nightly: reminders 30 and 7 days before lots expire, then the expiry of lots past
    their date whose 30-day reminder went out at least 30 days before; last, every
    member's lots checked against the ledger (a mismatch is logged as an error)."""
    done = points_remind_due() + points_expire_due()
    lots_reconcile_all()
    return done
