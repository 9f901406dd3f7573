"""Periodic jobs of the merchant alliance (huey); tests call the services directly."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from linli.merchants.duties import duty_reminders
from linli.merchants.services import merchant_exits_complete_due, merchant_fees_recognise
from linli.merchants.trust import deposits_enforce, red_list_review
from linli.merchants.waitlist import waitlist_advance


@db_periodic_task(crontab(minute="15", hour="2"))
def recognise_merchant_fees() -> int:
    """Daily: post each admission fee's monthly twelfth that has come due."""
    return merchant_fees_recognise()


@db_periodic_task(crontab(minute="*/30"))
def enforce_deposit_top_ups() -> int:
    """Suspend merchants whose deposit is still short after the top-up deadline."""
    return deposits_enforce()


@db_periodic_task(crontab(minute="30", hour="3"))
def review_red_list() -> int:
    """Daily: red-list merchants above the complaint-rate line (B§3.2)."""
    return red_list_review()


@db_periodic_task(crontab(minute="0", hour="9", day_of_week="1"))
def remind_merchant_duties() -> int:
    """Mondays: remind merchants of unmet duties (offer, referrals) this month."""
    return duty_reminders()


@db_periodic_task(crontab(minute="*/15"))
def advance_waiting_lists() -> int:
    """Lapse seat offers past their deadline and offer free seats to the next in line."""
    return waitlist_advance()


@db_periodic_task(crontab(minute="45", hour="2"))
def complete_merchant_exits() -> int:
    """Daily: close the seats whose exit notice period is over (issue 5)."""
    return merchant_exits_complete_due()
