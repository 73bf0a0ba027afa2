"""Return labels become private documents: private storage, unguessable names. Labels
stored before this (``return-labels/YYYY/MM/RMA-....pdf`` in public media) are moved there
under new names (``manage.py move_private_documents`` does the same later)."""

from django.db import migrations, models

import kernel.storage


def move_return_labels(apps, schema_editor):
    kernel.storage.move_to_private_storage(apps.get_model("returns", "ReturnRequest"), "label",
                                           prefix="return-labels")


class Migration(migrations.Migration):

    dependencies = [
        ("returns", "0002_return_roles"),
    ]

    operations = [
        migrations.AlterField(
            model_name="returnrequest",
            name="label",
            field=models.FileField(blank=True, storage=kernel.storage.private_storage,
                                   upload_to=kernel.storage.UnguessableName("return-labels")),
        ),
        migrations.RunPython(move_return_labels, migrations.RunPython.noop, elidable=True),
    ]
