"""The shop's pages a shopper looks for in the footer, with sensible text staff can edit."""

from django.db import migrations


def seed(apps, schema_editor):
    from shop.storefront.pages import seed_pages

    seed_pages(apps.get_model("storefront", "Page"))


class Migration(migrations.Migration):
    dependencies = [("storefront", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
