"""Shipping labels become private documents: private storage, unguessable names. Labels
stored before this (``labels/YYYY/MM/<tracking number>.pdf`` in public media) are moved
there under new names (``manage.py move_private_documents`` does the same later)."""

from django.db import migrations, models

import kernel.storage


def move_labels(apps, schema_editor):
    kernel.storage.move_to_private_storage(apps.get_model("fulfillment", "Shipment"), "label",
                                           prefix="labels")


class Migration(migrations.Migration):

    dependencies = [
        ("fulfillment", "0008_roles_after_stock_shortfall_rename"),
    ]

    operations = [
        migrations.AlterField(
            model_name="shipment",
            name="label",
            field=models.FileField(blank=True, storage=kernel.storage.private_storage,
                                   upload_to=kernel.storage.UnguessableName("labels")),
        ),
        migrations.RunPython(move_labels, migrations.RunPython.noop, elidable=True),
    ]
