"""StockException becomes StockShortfall (a model, not an exception): the table, its
constraint, its permissions (groups keep them) and the timeline events that name it."""

from django.db import migrations, models

RENAMED_PERMISSIONS = {
    "add_stockexception": ("add_stockshortfall", "Can add stock shortfall"),
    "change_stockexception": ("change_stockshortfall", "Can change stock shortfall"),
    "delete_stockexception": ("delete_stockshortfall", "Can delete stock shortfall"),
    "view_stockexception": ("view_stockshortfall", "Can view stock shortfall"),
    "resolve_stockexception": ("resolve_stockshortfall", "Can resolve stock shortfalls"),
}


def rename_forward(apps, schema_editor):
    Permission = apps.get_model("auth", "Permission")
    OrderEvent = apps.get_model("orders", "OrderEvent")
    for old, (new, name) in RENAMED_PERMISSIONS.items():
        if not Permission.objects.filter(content_type__app_label="orders", codename=new).exists():
            Permission.objects.filter(content_type__app_label="orders",
                                      codename=old).update(codename=new, name=name)
    OrderEvent.objects.filter(type="stock_exception").update(type="stock_shortfall")


def rename_backward(apps, schema_editor):
    Permission = apps.get_model("auth", "Permission")
    OrderEvent = apps.get_model("orders", "OrderEvent")
    for old, (new, _name) in RENAMED_PERMISSIONS.items():
        Permission.objects.filter(content_type__app_label="orders", codename=new).update(
            codename=old)
    OrderEvent.objects.filter(type="stock_shortfall").update(type="stock_exception")


class Migration(migrations.Migration):

    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("orders", "0005_stock_exceptions"),
        ("fulfillment", "0007_merchant_resolves_stock_exceptions"),
    ]

    operations = [
        migrations.RemoveConstraint(model_name="stockexception",
                                    name="one_open_stock_exception_per_order"),
        migrations.RenameModel(old_name="StockException", new_name="StockShortfall"),
        migrations.AlterModelOptions(
            name="stockshortfall",
            options={"ordering": ["created_at", "pk"],
                     "permissions": [("resolve_stockshortfall", "Can resolve stock shortfalls")]},
        ),
        migrations.AlterField(
            model_name="stockshortfall",
            name="order",
            field=models.ForeignKey(on_delete=models.deletion.PROTECT,
                                    related_name="stock_shortfalls", to="orders.order"),
        ),
        migrations.AddConstraint(
            model_name="stockshortfall",
            constraint=models.UniqueConstraint(
                condition=models.Q(("state__in", ["open", "backordered", "awaiting_shopper"])),
                fields=("order",), name="one_open_stock_shortfall_per_order"),
        ),
        migrations.AlterField(
            model_name='orderevent',
            name='type',
            field=models.CharField(choices=[('placed', 'Order placed'), ('payment_started', 'Payment started'), ('payment_action_required', 'Payment needs authentication'), ('payment_authorized', 'Payment authorized'), ('payment_captured', 'Payment captured'), ('payment_failed', 'Payment failed'), ('payment_voided', 'Payment voided'), ('refunded', 'Refunded'), ('dispute_opened', 'Dispute opened'), ('held', 'Held for fraud review'), ('released', 'Released after review'), ('canceled', 'Order canceled'), ('stock_released', 'Stock released'), ('shipment_created', 'Shipment created'), ('shipped', 'Shipped'), ('tracking', 'Tracking update'), ('delivered', 'Delivered'), ('return_requested', 'Return requested'), ('return_approved', 'Return approved'), ('return_rejected', 'Return rejected'), ('return_received', 'Return received'), ('return_inspected', 'Return inspected'), ('return_restocked', 'Returned items restocked'), ('exchange_created', 'Exchange order created'), ('late_payment', 'Paid after it was canceled'), ('stock_shortfall', 'Stock shortfall'), ('email_sent', 'Email sent'), ('note', 'Note')], max_length=30),
        ),
        migrations.RunPython(rename_forward, rename_backward),
    ]
