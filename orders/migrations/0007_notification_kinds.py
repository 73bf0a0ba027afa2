# The "received, awaiting payment" and "payment reminder" emails: "confirmed" now means paid.

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("orders", "0006_stock_shortfall_name"),
    ]

    operations = [
        migrations.AlterField(
            model_name="ordernotification",
            name="kind",
            field=models.CharField(choices=[
                ("received", "Order received, awaiting payment"),
                ("payment_reminder", "Payment reminder"),
                ("confirmation", "Order confirmation"), ("receipt", "Payment receipt"),
                ("cancellation", "Cancellation"), ("backorder", "Backorder notice"),
                ("substitute_offer", "Substitute offer"),
                ("stock_apology", "Canceled for lack of stock")], max_length=20),
        ),
    ]
