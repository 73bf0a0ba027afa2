from django.contrib.auth.management import create_permissions
from django.db import migrations


def add_permissions(apps, schema_editor):
    # Permissions are normally created after all migrations; make them now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    from shop.dashboard.roles import sync_dashboard_roles

    sync_dashboard_roles(apps.get_model("auth", "Group"), apps.get_model("auth", "Permission"))


class Migration(migrations.Migration):
    dependencies = [
        ("dashboard", "0001_initial"),
        ("returns", "0002_return_roles"),
    ]

    operations = [migrations.RunPython(add_permissions, migrations.RunPython.noop)]
