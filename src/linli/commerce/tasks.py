"""Alliance commerce's periodic jobs, run by the huey worker beside the web server."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from linli.commerce.bundles import bundles_expire


@db_periodic_task(crontab(minute="*/5"))
def expire_bundles() -> int:
    """Return unredeemed bundle pieces to their members once the bundle has expired."""
    return bundles_expire()
