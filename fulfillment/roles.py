"""Staff roles as Django groups, each with exactly the permissions its work needs.

The migration ``fulfillment/0002_staff_roles`` creates them; ``sync_roles`` can run again
(idempotent) when permissions are added, from a new migration that calls it (as
``fulfillment/0005_merchant_reads_options_and_voucher_uses`` and
``0006_stock_clerk_and_purchasing`` do). A staff member in a
role sees only that role's actions in admin, because every admin action and view checks
these permissions.
"""

from __future__ import annotations

VIEW_ORDERS = ["orders.view_order", "fulfillment.view_shipment", "fulfillment.view_picklist",
               "inventory.view_stocklevel", "inventory.view_warehouse", "catalog.view_product",
               "catalog.view_variant"]

ROLES: dict[str, list[str]] = {
    "Picker": VIEW_ORDERS + ["fulfillment.pick_shipment"],
    "Packer": VIEW_ORDERS + ["fulfillment.pack_shipment"],
    "Shipper": VIEW_ORDERS + ["fulfillment.buy_label", "fulfillment.ship_shipment",
                              "fulfillment.deliver_shipment", "fulfillment.view_trackingevent"],
    # Refunds only through returns (returns adds its steps): no refund, capture or void
    # on the payment admin.
    "Returns clerk": VIEW_ORDERS + ["payments.view_payment", "inventory.view_stockmovement"],
    # Warehouse stock work: receive purchase orders, move stock between warehouses, count
    # shelves. Counting is not approving: posting a count's variances (which changes the
    # books) is the Merchant's, so one person cannot both count and write the stock off.
    "Stock clerk": [
        "inventory.view_stocklevel", "inventory.view_warehouse", "inventory.view_stockmovement",
        "catalog.view_product", "catalog.view_variant",
        "inventory.view_supplier", "inventory.view_purchaseorder",
        "inventory.receive_purchaseorder",
        "inventory.view_stocktransfer", "inventory.add_stocktransfer",
        "inventory.dispatch_stocktransfer", "inventory.receive_stocktransfer",
        "inventory.view_stockcount", "inventory.add_stockcount", "inventory.change_stockcount",
    ],
    "Merchant": [
        # Reads everything.
        *[f"{app}.view_{model}" for app, model in [
            ("orders", "order"), ("orders", "orderline"), ("orders", "orderevent"),
            ("orders", "voucher"), ("orders", "voucheruse"), ("orders", "shippingzone"),
            ("orders", "shippingmethod"), ("orders", "taxrate"), ("payments", "payment"),
            ("payments", "gatewaycall"), ("payments", "stripeevent"),
            ("fulfillment", "shipment"), ("fulfillment", "picklist"),
            ("fulfillment", "trackingevent"), ("fulfillment", "courierzone"),
            ("inventory", "stocklevel"), ("inventory", "stockmovement"),
            ("inventory", "warehouse"), ("catalog", "product"), ("catalog", "variant"),
            ("catalog", "category"), ("catalog", "productoption"), ("catalog", "optionvalue"),
            ("catalog", "productimage"), ("inventory", "supplier"),
            ("inventory", "supplierprice"), ("inventory", "reorderrule"),
            ("inventory", "purchaseorder"), ("inventory", "stocktransfer"),
            ("inventory", "stockcount"), ("catalog", "clearancediscount"),
            ("orders", "stockshortfall")]],
        # Changes the shop's settings.
        *[f"{app}.{verb}_{model}" for app, model in [
            ("orders", "voucher"), ("orders", "shippingzone"), ("orders", "shippingmethod"),
            ("orders", "shippingweighttier"), ("orders", "taxrate"),
            ("fulfillment", "courierzone"), ("fulfillment", "courierrate"),
            ("inventory", "warehouse"), ("inventory", "supplier"),
            ("inventory", "supplierprice"), ("inventory", "reorderrule"),
            ("inventory", "purchaseorder")] for verb in ("add", "change")],
        # Buying and the books: send purchase orders, approve count variances, put stale
        # stock on clearance. (Receiving and counting are the Stock clerk's.)
        "inventory.send_purchaseorder", "inventory.approve_stockcount",
        "catalog.add_clearancediscount",
        # Decides what happens to paid orders whose stock is gone (the stock shortfalls
        # queue: backorder, another warehouse, a substitute, or cancel and refund).
        "orders.resolve_stockshortfall",
        # Money decisions: cancel orders, capture, release fraud holds (the order back
        # office), capture and void payments, and refund a price adjustment or goodwill
        # with a reason (``payments.refund_adjustment``).
        "orders.change_order", "payments.change_payment", "payments.refund_adjustment",
    ],
}


# Permissions ROLES names whose models' migrations come after the earlier role syncs
# (fulfillment 0008 insists every permission exists): those syncs skip them, and the
# migration that makes them syncs again (``moneycheck/0002_roles``, with ``require_all``
# and ``include_later``).
MADE_LATER = {"payments.refund_adjustment"}

# The apps whose permissions ROLES decides; apps above fulfillment (returns) add their own
# permissions to these groups, and a sync here leaves those alone.
MANAGED_APPS = sorted({dotted.split(".")[0] for codenames in ROLES.values()
                       for dotted in codenames})


def roles_with(permission: str) -> list[str]:
    """The roles whose work includes ``permission`` ("fulfillment.pack_shipment"), for a
    refusal that tells staff whom to ask."""
    return [name for name, codenames in ROLES.items() if permission in codenames]


def sync_roles(group_model, permission_model, *, require_all: bool = False,
               include_later: bool = False) -> list[str]:
    """Give each role exactly its permissions (of the managed apps). Returns the ones that
    do not exist yet: an early migration (0002) runs before the models that later
    migrations add, whose own role migration then syncs again with ``require_all``."""
    missing = []
    for name, codenames in ROLES.items():
        group, _ = group_model.objects.get_or_create(name=name)
        permissions = []
        for dotted in codenames:
            app_label, codename = dotted.split(".")
            permission = permission_model.objects.filter(content_type__app_label=app_label,
                                                         codename=codename).first()
            if permission is None:
                missing.append(dotted)
                continue
            permissions.append(permission)
        others = group.permissions.exclude(content_type__app_label__in=MANAGED_APPS)
        group.permissions.set([*permissions, *others])
    if not include_later:
        missing = [dotted for dotted in missing if dotted not in MADE_LATER]
    if missing and require_all:
        raise LookupError(f"Role permissions that do not exist: {', '.join(missing)}")
    return missing


def create_all_permissions(apps) -> None:
    """Make every app's permissions now, for the models as the migration state has them
    (Django makes them only after all migrations; a role migration needs them first)."""
    from django.contrib.auth.management import create_permissions

    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None


def add_role_permissions(group_model, permission_model,
                         permissions: dict[str, list[str]]) -> None:
    """Give roles extra permissions: apps above fulfillment (returns, the dashboards, the
    stock check) add their own this way, and a sync of ROLES keeps them."""
    for name, codenames in permissions.items():
        group, _ = group_model.objects.get_or_create(name=name)
        for dotted in codenames:
            app_label, codename = dotted.split(".")
            group.permissions.add(permission_model.objects.get(
                content_type__app_label=app_label, codename=codename))
