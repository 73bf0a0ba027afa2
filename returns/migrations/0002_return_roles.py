from django.db import migrations


def add_permissions(apps, schema_editor):
    from fulfillment.roles import create_all_permissions

    create_all_permissions(apps)  # Django makes them only after all migrations
    from returns.roles import sync_return_roles

    sync_return_roles(apps.get_model("auth", "Group"), apps.get_model("auth", "Permission"))


class Migration(migrations.Migration):
    dependencies = [
        ("returns", "0001_initial"),
        ("fulfillment", "0005_merchant_reads_options_and_voucher_uses"),
    ]

    operations = [migrations.RunPython(add_permissions, migrations.RunPython.noop)]
