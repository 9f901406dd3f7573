"""Merchant trust numbers that were constants in the merchants app become policy settings
(issue 5): the complaint rate's rolling window and least sales, the rating line that turns
the traffic light amber, the days to accept a seat from the waiting list, and how far back
a leaving merchant's buyers are told. Neither plan gives these numbers; existing versions
get the values the code used until now, which are also both presets' values.

SQLite adds a NOT NULL column by rebuilding the table, which drops the append-only
triggers, so they are installed again at the end (communities/db.py).
"""

import django.core.validators
from django.db import migrations, models

from linli.communities.db import make_append_only

NEW_FIELDS = [
    ("merchant_complaint_window_days", "complaint rate: rolling window (days)", 90, 7, 366),
    (
        "merchant_complaint_min_sales",
        "complaint rate: least sales in the window before it is judged",
        20,
        1,
        100_000,
    ),
    (
        "merchant_rating_amber_below_tenths",
        "rating average below which the light turns amber (tenths of a star)",
        35,
        10,
        50,
    ),
    (
        "merchant_seat_offer_days",
        "days the first in a trade's waiting list has to accept a free seat",
        7,
        1,
        60,
    ),
    (
        "merchant_exit_notify_buyers_days",
        "exit notice reaches the shop's buyers of the last (days)",
        90,
        1,
        366,
    ),
]


class Migration(migrations.Migration):
    dependencies = [("communities", "0002_merchantsgap")]

    operations = [
        *[
            migrations.AddField(
                model_name="policyversion",
                name=name,
                field=models.PositiveIntegerField(
                    default=default,
                    validators=[
                        django.core.validators.MinValueValidator(low),
                        django.core.validators.MaxValueValidator(high),
                    ],
                    verbose_name=verbose,
                ),
                preserve_default=False,
            )
            for name, verbose, default, low, high in NEW_FIELDS
        ],
        make_append_only("communities_policyversion"),
    ]
