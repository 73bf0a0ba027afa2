"""The Merchant runs the money check and makes the money decisions (cancel, capture, refund
a price adjustment or goodwill: ``fulfillment.roles.ROLES``); the Returns clerk no longer
refunds from the payment admin (refunds go through returns). Syncs the roles, insisting
that every permission they name exists, then adds this app's own."""

from django.db import migrations


def sync(apps, schema_editor):
    from fulfillment.roles import create_all_permissions, sync_roles

    create_all_permissions(apps)
    group, permission = apps.get_model("auth", "Group"), apps.get_model("auth", "Permission")
    sync_roles(group, permission, require_all=True, include_later=True)
    from shop.moneycheck.roles import sync_moneycheck_roles

    sync_moneycheck_roles(group, permission)


class Migration(migrations.Migration):
    dependencies = [
        ("moneycheck", "0001_initial"),
        ("payments", "0002_refund_reasons"),
        ("fulfillment", "0009_private_labels"),
        ("returns", "0003_private_return_labels"),
        ("stockcheck", "0002_merchant_checks_stock"),
    ]

    operations = [migrations.RunPython(sync, migrations.RunPython.noop)]
