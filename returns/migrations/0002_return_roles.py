from django.contrib.auth.management import create_permissions
from django.db import migrations


def add_permissions(apps, schema_editor):
    # Permissions are normally created after all migrations; make them now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    from returns.roles import sync_return_roles

    sync_return_roles(apps.get_model("auth", "Group"), apps.get_model("auth", "Permission"))


class Migration(migrations.Migration):
    dependencies = [
        ("returns", "0001_initial"),
        ("fulfillment", "0005_merchant_reads_options_and_voucher_uses"),
    ]

    operations = [migrations.RunPython(add_permissions, migrations.RunPython.noop)]
