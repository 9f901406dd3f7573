"""Membership numbers that were constants become policy settings (issue 4): the renewal
window and reminder, the per-referrer daily referral cap, and the sign-in code limits.
Existing versions get the values the code used until now, which are also both presets'
values (the plans give no numbers).

SQLite adds a NOT NULL column by rebuilding the table, which drops the append-only
triggers, so they are installed again at the end (communities/db.py).
"""

import django.core.validators
from django.db import migrations, models

from linli.communities.db import make_append_only

NEW_FIELDS = [
    (
        "renewal_window_days",
        "renewal may be paid this many days before the year ends",
        60,
        1,
        366,
    ),
    (
        "renewal_reminder_days",
        "renewal reminder this many days before the year ends",
        30,
        1,
        366,
    ),
    (
        "referrals_per_referrer_daily_max",
        "new referrals one member may bind per day",
        10,
        1,
        1000,
    ),
    ("sms_codes_per_phone_hour", "sign-in codes per phone number per hour", 5, 1, 60),
    ("sms_codes_per_ip_hour", "sign-in codes per network address per hour", 20, 1, 10_000),
    ("sms_code_lifetime_minutes", "sign-in code lifetime (minutes)", 5, 1, 30),
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
        migrations.AddConstraint(
            model_name="policyversion",
            constraint=models.CheckConstraint(
                condition=models.Q(("renewal_reminder_days__lte", models.F("renewal_window_days"))),
                name="policy_renewal_reminder_days_le_renewal_window_days",
            ),
        ),
        make_append_only("communities_policyversion"),
    ]
