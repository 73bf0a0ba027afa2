# Two migrations written side by side (cancel intents, the awaiting-payment emails).

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("orders", "0007_notification_kinds"),
        ("orders", "0007_order_cancel_intent"),
    ]

    operations = []
