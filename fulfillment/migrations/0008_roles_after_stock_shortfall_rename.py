"""Roles again after StockException became StockShortfall (orders 0006), insisting that
every permission the roles name exists."""

from django.db import migrations


def sync(apps, schema_editor):
    from fulfillment.roles import create_all_permissions, sync_roles

    create_all_permissions(apps)
    sync_roles(apps.get_model("auth", "Group"), apps.get_model("auth", "Permission"),
               require_all=True)


class Migration(migrations.Migration):
    dependencies = [
        ("fulfillment", "0007_merchant_resolves_stock_exceptions"),
        ("orders", "0006_stock_shortfall_name"),
    ]

    operations = [migrations.RunPython(sync, migrations.RunPython.noop)]
