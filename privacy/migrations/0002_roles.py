"""The Merchant handles data requests (``privacy.roles``)."""

from django.db import migrations


def sync(apps, schema_editor):
    from fulfillment.roles import create_all_permissions
    from privacy.roles import sync_privacy_roles

    create_all_permissions(apps)
    sync_privacy_roles(apps.get_model("auth", "Group"), apps.get_model("auth", "Permission"))


class Migration(migrations.Migration):
    dependencies = [
        ("privacy", "0001_initial"),
        ("moneycheck", "0002_roles"),
    ]

    operations = [migrations.RunPython(sync, migrations.RunPython.noop)]
