"""The Merchant role reads everything: product options, option values, product images and
voucher uses were missing (the product page's option and image lists and the voucher's
uses were hidden from it). Runs ``sync_roles`` again, as 0002 does."""

from django.db import migrations


def sync(apps, schema_editor):
    from importlib import import_module

    import_module("fulfillment.migrations.0002_staff_roles").create_roles(apps, schema_editor)


class Migration(migrations.Migration):
    dependencies = [
        ("fulfillment", "0004_shipmentnotification_delayed"),
    ]

    operations = [migrations.RunPython(sync, migrations.RunPython.noop)]
