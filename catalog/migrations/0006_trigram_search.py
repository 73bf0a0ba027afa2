"""Typo-tolerant search (``catalog.selectors.search_products``): the pg_trgm extension and
a GIN trigram index on product titles, on PostgreSQL only.

On SQLite (the zero-configuration default) both are skipped: search matches words by LIKE.
"""

from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        "CREATE INDEX IF NOT EXISTS catalog_product_title_trgm "
        "ON catalog_product USING gin (title gin_trgm_ops)"
    )


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("DROP INDEX IF EXISTS catalog_product_title_trgm")


class Migration(migrations.Migration):
    dependencies = [("catalog", "0005_clearancediscount")]
    operations = [
        TrigramExtension(),
        migrations.RunPython(create_index, drop_index),
    ]
