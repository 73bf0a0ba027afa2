"""The Merchant sees the stock exceptions queue and resolves it. Runs ``sync_roles`` again
after the migration that creates the model."""

from django.db import migrations


def sync(apps, schema_editor):
    from importlib import import_module

    import_module("fulfillment.migrations.0006_stock_clerk_and_purchasing").sync(
        apps, schema_editor)


class Migration(migrations.Migration):
    dependencies = [
        ("fulfillment", "0006_stock_clerk_and_purchasing"),
        ("orders", "0005_stock_exceptions"),
    ]

    operations = [migrations.RunPython(sync, migrations.RunPython.noop)]
