from django.db import migrations


def add_permissions(apps, schema_editor):
    from fulfillment.roles import create_all_permissions

    create_all_permissions(apps)  # Django makes them only after all migrations
    from customers.roles import sync_customer_roles

    sync_customer_roles(apps.get_model("auth", "Group"), apps.get_model("auth", "Permission"))


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0001_initial"),
        ("fulfillment", "0009_private_labels"),
    ]

    operations = [migrations.RunPython(add_permissions, migrations.RunPython.noop)]
