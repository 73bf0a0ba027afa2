from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("fulfillment", "0003_labelpurchase_voided_at"),
    ]

    operations = [
        migrations.AlterField(
            model_name="shipmentnotification",
            name="kind",
            field=models.CharField(
                choices=[("shipped", "Shipped"), ("out_for_delivery", "Out for delivery"),
                         ("delivered", "Delivered"), ("ready_for_pickup", "Ready for pickup"),
                         ("exception", "Delivery problem"), ("delayed", "Delayed")],
                max_length=20),
        ),
    ]
