"""The full-text search index (GIN on search_vector), which only PostgreSQL has.

On SQLite (the zero-configuration default) these are skipped: search falls back to LIKE.
"""

from django.db import migrations


def create_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        "CREATE INDEX IF NOT EXISTS catalog_product_search_gin "
        "ON catalog_product USING gin (search_vector)"
    )


def drop_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("DROP INDEX IF EXISTS catalog_product_search_gin")


class Migration(migrations.Migration):
    dependencies = [("catalog", "0001_initial")]
    operations = [migrations.RunPython(create_indexes, drop_indexes)]
