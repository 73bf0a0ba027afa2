from django.db import migrations


def add_permissions(apps, schema_editor):
    from fulfillment.roles import create_all_permissions

    create_all_permissions(apps)  # Django makes them only after all migrations
    from shop.webhooks.roles import sync_webhook_roles

    sync_webhook_roles(apps.get_model("auth", "Group"), apps.get_model("auth", "Permission"))


class Migration(migrations.Migration):
    dependencies = [
        ("webhooks", "0001_initial"),
        ("fulfillment", "0007_merchant_resolves_stock_exceptions"),
    ]

    operations = [migrations.RunPython(add_permissions, migrations.RunPython.noop)]
