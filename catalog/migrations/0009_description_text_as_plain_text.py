"""Recompute each product's plain-text description: entities decoded ("&amp;" -> "&") and
blocks separated by a space (it was strip_tags alone, which kept "&amp;" and ran paragraphs
together). The search vector is kept from this text: it is rebuilt for the changed rows."""

from django.db import migrations

BATCH = 2000


def recompute(apps, schema_editor):
    from catalog.models import description_plain_text

    Product = apps.get_model("catalog", "Product")
    changed_ids = []
    batch = []
    for product in Product.objects.only("pk", "description", "description_text").iterator(
            chunk_size=BATCH):
        text = description_plain_text(product.description)
        if text != product.description_text:
            product.description_text = text
            batch.append(product)
            changed_ids.append(product.pk)
        if len(batch) >= BATCH:
            Product.objects.bulk_update(batch, ["description_text"])
            batch = []
    if batch:
        Product.objects.bulk_update(batch, ["description_text"])
    if changed_ids and schema_editor.connection.vendor == "postgresql":
        # What catalog.services.refresh_search_vectors computes, on this migration's model.
        from django.contrib.postgres.search import SearchVector

        for start in range(0, len(changed_ids), BATCH):
            Product.objects.filter(pk__in=changed_ids[start:start + BATCH]).update(
                search_vector=SearchVector("title", weight="A", config="english")
                + SearchVector("vendor", "product_type", "tags", weight="B", config="english")
                + SearchVector("description_text", weight="C", config="english"))


class Migration(migrations.Migration):
    dependencies = [("catalog", "0008_listing_sort_indexes")]

    operations = [migrations.RunPython(recompute, migrations.RunPython.noop, elidable=True)]
