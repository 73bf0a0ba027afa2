"""Inventory operations join the roles: the new Stock clerk receives purchase orders,
transfers stock and counts it; the Merchant manages suppliers, reorder rules and purchase
orders, approves count variances and starts clearances. Runs ``sync_roles`` again, after
the migrations that create those models. (It insisted that every permission exists until the
stock shortfall rename: permissions of models renamed later are given by 0008.)"""

from django.db import migrations


def sync(apps, schema_editor):
    from fulfillment.roles import create_all_permissions

    create_all_permissions(apps)  # Django makes them only after all migrations
    from fulfillment.roles import sync_roles

    sync_roles(apps.get_model("auth", "Group"), apps.get_model("auth", "Permission"))


def remove_stock_clerk(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name="Stock clerk").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("fulfillment", "0005_merchant_reads_options_and_voucher_uses"),
        ("inventory", "0002_purchasing_transfers_counts"),
        ("catalog", "0005_clearancediscount"),
    ]

    operations = [migrations.RunPython(sync, remove_stock_clerk)]
