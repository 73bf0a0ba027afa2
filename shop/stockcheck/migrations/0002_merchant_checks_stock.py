from django.db import migrations


def add_permissions(apps, schema_editor):
    from fulfillment.roles import create_all_permissions

    create_all_permissions(apps)  # Django makes them only after all migrations
    from shop.stockcheck.roles import sync_stockcheck_roles

    sync_stockcheck_roles(apps.get_model("auth", "Group"), apps.get_model("auth", "Permission"))


class Migration(migrations.Migration):
    dependencies = [
        ("stockcheck", "0001_initial"),
        # The roles exist (fulfillment/0002); later role syncs there keep these.
        ("fulfillment", "0006_stock_clerk_and_purchasing"),
    ]

    operations = [migrations.RunPython(add_permissions, migrations.RunPython.noop)]
