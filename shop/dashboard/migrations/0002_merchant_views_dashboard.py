from django.db import migrations


def add_permissions(apps, schema_editor):
    from fulfillment.roles import create_all_permissions

    create_all_permissions(apps)  # Django makes them only after all migrations
    from shop.dashboard.roles import sync_dashboard_roles

    sync_dashboard_roles(apps.get_model("auth", "Group"), apps.get_model("auth", "Permission"))


class Migration(migrations.Migration):
    dependencies = [
        ("dashboard", "0001_initial"),
        ("returns", "0002_return_roles"),
    ]

    operations = [migrations.RunPython(add_permissions, migrations.RunPython.noop)]
