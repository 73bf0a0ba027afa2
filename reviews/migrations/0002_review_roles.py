from django.db import migrations


def add_permissions(apps, schema_editor):
    from fulfillment.roles import create_all_permissions

    create_all_permissions(apps)  # Django makes them only after all migrations
    from reviews.roles import sync_review_roles

    sync_review_roles(apps.get_model("auth", "Group"), apps.get_model("auth", "Permission"))


class Migration(migrations.Migration):
    dependencies = [
        ("reviews", "0001_initial"),
        ("fulfillment", "0008_roles_after_stock_shortfall_rename"),
    ]

    operations = [migrations.RunPython(add_permissions, migrations.RunPython.noop)]
