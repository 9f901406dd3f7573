"""The ledger's periodic jobs, run by the huey worker beside the web server."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from linli.communities.models import Community
from linli.ledger.services import checkpoints_create_all, holds_expire, hot_rollup


@db_periodic_task(crontab(minute="*"))
def expire_holds() -> int:
    return holds_expire()


@db_periodic_task(crontab(minute="*/5"))
def sign_checkpoints() -> int:
    return checkpoints_create_all()


@db_periodic_task(crontab(minute="*"))
def roll_up_hot_accounts() -> int:
    return sum(hot_rollup(community=c) for c in Community.objects.order_by("id"))
