from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def fill_currency(apps, schema_editor):
    """The facts already there get their order's currency (the next rebuild writes it)."""
    ReturnLineFact = apps.get_model("dashboard", "ReturnLineFact")
    Order = apps.get_model("orders", "Order")
    ReturnLineFact.objects.update(currency=Subquery(
        Order.objects.filter(pk=OuterRef("order_id")).values("currency")[:1]))


class Migration(migrations.Migration):

    dependencies = [
        ("dashboard", "0005_shipment_days_and_return_totals"),
        ("orders", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="returnlinefact",
            name="currency",
            field=models.CharField(default="", help_text="The order's.", max_length=3),
        ),
        migrations.RunPython(fill_currency, migrations.RunPython.noop),
    ]
