from django.db import migrations


def create_roles(apps, schema_editor):
    from fulfillment.roles import create_all_permissions

    create_all_permissions(apps)  # Django makes them only after all migrations
    from fulfillment.roles import sync_roles

    sync_roles(apps.get_model("auth", "Group"), apps.get_model("auth", "Permission"))


def remove_roles(apps, schema_editor):
    from fulfillment.roles import ROLES

    apps.get_model("auth", "Group").objects.filter(name__in=ROLES).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("fulfillment", "0001_initial"),
        ("orders", "0002_alter_orderevent_type"),
        ("payments", "0001_initial"),
        ("inventory", "0001_initial"),
        ("catalog", "0002_search_indexes"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_roles, remove_roles)]
