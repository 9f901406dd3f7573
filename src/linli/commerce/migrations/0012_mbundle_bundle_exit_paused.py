from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("commerce", "0011_m5fin_exit_paused"),
    ]

    operations = [
        migrations.AddField(
            model_name="bundle",
            name="exit_paused_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
    ]
