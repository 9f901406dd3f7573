"""Commerce's periodic jobs, run by the huey worker beside the web server."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from linli.commerce.groupbuys import group_buys_close_due


@db_periodic_task(crontab(minute="*"))
def close_due_group_buys() -> int:
    """Settle or void every group-buy whose deadline has passed (idempotent)."""
    return group_buys_close_due()
