from django.db import migrations

from linli.ledger import triggers
from linli.ledger.models import ASSETS


def create_assets(apps, schema_editor):
    Asset = apps.get_model("ledger", "Asset")
    for code, scale, name in ASSETS:
        Asset.objects.update_or_create(code=code, defaults={"scale": scale, "name": name})


def install_triggers(apps, schema_editor):
    triggers.install(schema_editor)


class Migration(migrations.Migration):
    dependencies = [("ledger", "0001_initial")]

    operations = [
        migrations.RunPython(create_assets, migrations.RunPython.noop),
        migrations.RunPython(install_triggers, migrations.RunPython.noop),
    ]
