"""Merchant numbers that were constants become policy settings (issue 5: the quarterly
score's weights are "in the policy"; the deposit top-up time). Existing versions get the
values the code used until now, which are also both presets' values.

SQLite adds a NOT NULL column by rebuilding the table, which drops the append-only
triggers, so they are installed again at the end (communities/db.py).
"""

import django.core.validators
from django.db import migrations, models

from linli.communities.db import make_append_only

NEW_FIELDS = [
    (
        "merchant_deposit_top_up_days",
        "days to top the deposit back up after compensation",
        7,
        1,
        366,
    ),
    ("merchant_score_sales_weight", "quarterly score: weight of sales", 30, 0, 100),
    ("merchant_score_rating_weight", "quarterly score: weight of ratings", 25, 0, 100),
    ("merchant_score_duties_weight", "quarterly score: weight of duties met", 15, 0, 100),
    ("merchant_score_referrals_weight", "quarterly score: weight of members referred", 10, 0, 100),
    (
        "merchant_score_complaints_penalty",
        "quarterly score: penalty for verified complaints",
        20,
        0,
        100,
    ),
]


class Migration(migrations.Migration):
    dependencies = [("communities", "0001_initial")]

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
