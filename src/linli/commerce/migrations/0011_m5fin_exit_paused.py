from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("commerce", "0010_merge_exit_campaign_counts"),
    ]

    operations = [
        migrations.AddField(
            model_name="coupon",
            name="exit_paused_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="crossstorecampaign",
            name="exit_paused_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
    ]
