from django.contrib.auth.management import create_permissions
from django.db import migrations


def add_permissions(apps, schema_editor):
    # Permissions are normally created after all migrations; make them now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    from shop.stockcheck.roles import sync_stockcheck_roles

    sync_stockcheck_roles(apps.get_model("auth", "Group"), apps.get_model("auth", "Permission"))


class Migration(migrations.Migration):
    dependencies = [
        ("stockcheck", "0001_initial"),
        # The roles exist (fulfillment/0002); later role syncs there keep these.
        ("fulfillment", "0006_stock_clerk_and_purchasing"),
    ]

    operations = [migrations.RunPython(add_permissions, migrations.RunPython.noop)]
