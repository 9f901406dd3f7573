"""Commerce jobs run by the huey worker."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from linli.commerce.referrals import referrals_qualify_by_purchase
from linli.communities.models import Community


@db_periodic_task(crontab(minute="30", hour="1"))
def referrals_by_purchase() -> int:
    """Nightly: referrals whose referee's first kept purchase is past the return window."""
    return sum(referrals_qualify_by_purchase(community=c) for c in Community.objects.order_by("id"))
