"""Warehouses, stock levels per variant and warehouse, and the stock ledger."""

from django.conf import settings
from django.db import models

from catalog.models import Variant
from kernel.transitions import StateMachine


class Warehouse(models.Model):
    code = models.SlugField(max_length=20, unique=True)
    name = models.CharField(max_length=120)
    address_line1 = models.CharField(max_length=200, blank=True)
    address_line2 = models.CharField(max_length=200, blank=True)
    city = models.CharField(max_length=100, blank=True)
    postal_code = models.CharField(max_length=20, blank=True)
    country_code = models.CharField(max_length=2, default="US")
    is_active = models.BooleanField(default=True)
    allows_store_pickup = models.BooleanField(default=False)
    priority = models.PositiveSmallIntegerField(
        default=100, help_text="Lower ships first when several warehouses can."
    )

    class Meta:
        ordering = ["priority", "code"]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class StockLevel(models.Model):
    """How many units of a variant a warehouse holds (``on_hand``) and how many of those
    are promised to orders (``allocated``). The database keeps 0 <= allocated <= on_hand.

    ``on_hand`` changes only through ``inventory.services``, each change with a
    ``StockMovement``; ``allocated`` moves with conditional updates at checkout.
    """

    variant = models.ForeignKey(Variant, related_name="stock_levels", on_delete=models.PROTECT)
    warehouse = models.ForeignKey(Warehouse, related_name="stock_levels", on_delete=models.PROTECT)
    on_hand = models.IntegerField(default=0)
    allocated = models.IntegerField(default=0)
    unsellable = models.PositiveIntegerField(
        default=0, help_text="Units on hand that can't be sold: damaged or on quality hold.")
    safety_stock = models.PositiveIntegerField(
        default=0, help_text="A buffer the storefront never sells from this warehouse.")
    bin_location = models.CharField(max_length=40, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["variant", "warehouse"]
        constraints = [
            models.UniqueConstraint(fields=["variant", "warehouse"], name="stock_level_unique"),
            models.CheckConstraint(condition=models.Q(allocated__gte=0),
                                   name="stock_allocated_not_negative"),
            models.CheckConstraint(condition=models.Q(on_hand__gte=models.F("allocated")),
                                   name="stock_allocated_within_on_hand"),
            models.CheckConstraint(
                condition=models.Q(on_hand__gte=models.F("allocated") + models.F("unsellable")),
                name="stock_held_within_on_hand"),
        ]

    def __str__(self) -> str:
        return f"{self.variant.sku} @ {self.warehouse.code}"

    @property
    def free(self) -> int:
        """Units here neither promised to orders nor held back as unsellable (the database
        keeps this at zero or more)."""
        return self.on_hand - self.allocated - self.unsellable

    @property
    def available(self) -> int:
        """What the storefront may still sell from here: free units above the safety stock.
        ``inventory.selectors.level_available_expression`` is the same rule in SQL."""
        return max(self.free - self.safety_stock, 0)


class UnsellableChange(models.Model):
    """Units moved onto or off quality hold (``StockLevel.unsellable``), or written off
    from it: who, why, how many. On hand moves only for write-offs, with their own ledger
    line."""

    class Kind(models.TextChoices):
        HOLD = "hold", "Put on quality hold"
        RELEASE = "release", "Released as sellable"
        WRITE_OFF = "write_off", "Written off from hold"

    stock_level = models.ForeignKey(StockLevel, related_name="unsellable_changes",
                                    on_delete=models.PROTECT)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    quantity = models.PositiveIntegerField()
    unsellable_after = models.PositiveIntegerField()
    reason = models.CharField(max_length=255)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                             on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.quantity}"


class StockMovement(models.Model):
    """One line of the stock ledger: every change to ``on_hand`` writes one.

    The movements of a stock level sum to its ``on_hand``; `manage.py check_stock_ledger`
    proves it.
    """

    class Kind(models.TextChoices):
        RECEIPT = "receipt", "Receipt"
        SHIPMENT = "shipment", "Shipment"
        RETURN_RESTOCK = "return_restock", "Return restock"
        COUNT_ADJUSTMENT = "count_adjustment", "Count adjustment"
        WRITE_OFF = "write_off", "Write-off"
        TRANSFER_IN = "transfer_in", "Transfer in"
        TRANSFER_OUT = "transfer_out", "Transfer out"

    stock_level = models.ForeignKey(StockLevel, related_name="movements", on_delete=models.PROTECT)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    quantity = models.IntegerField(help_text="Signed: positive adds to on hand.")
    on_hand_after = models.IntegerField()
    reason = models.CharField(max_length=255, blank=True)
    reference = models.CharField(max_length=100, blank=True, db_index=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                             on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=~models.Q(quantity=0), name="movement_not_zero"),
        ]
        indexes = [models.Index(fields=["stock_level", "created_at"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.quantity:+d} ({self.reference or self.reason})"


# --- Purchasing: suppliers, their prices, reorder rules, purchase orders --------------------


class Supplier(models.Model):
    name = models.CharField(max_length=120, unique=True)
    contact_email = models.EmailField(help_text="Purchase orders are emailed here.")
    lead_time_days = models.PositiveSmallIntegerField(
        default=7, help_text="Days from sending a purchase order to the goods arriving.")
    currency = models.CharField(max_length=3, default=settings.SHOP_CURRENCY)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class SupplierPrice(models.Model):
    """What a supplier charges for one unit of a variant, and how it must be ordered."""

    supplier = models.ForeignKey(Supplier, related_name="prices", on_delete=models.CASCADE)
    variant = models.ForeignKey(Variant, related_name="supplier_prices", on_delete=models.CASCADE)
    cost = models.DecimalField(max_digits=12, decimal_places=2,
                               help_text="Per unit, in the supplier's currency.")
    minimum_order_quantity = models.PositiveIntegerField(default=1)
    pack_size = models.PositiveIntegerField(
        default=1, help_text="Units per case; orders are rounded up to whole cases.")
    supplier_sku = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["variant", "cost", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["supplier", "variant"],
                                    name="supplier_price_unique"),
            models.CheckConstraint(condition=models.Q(cost__gte=0),
                                   name="supplier_cost_not_negative"),
            models.CheckConstraint(condition=models.Q(minimum_order_quantity__gte=1),
                                   name="supplier_moq_at_least_one"),
            models.CheckConstraint(condition=models.Q(pack_size__gte=1),
                                   name="supplier_pack_at_least_one"),
        ]

    def __str__(self) -> str:
        return f"{self.supplier} · {self.variant.sku} at {self.cost} {self.supplier.currency}"


class ReorderRule(models.Model):
    """When to reorder a variant for a warehouse, and how much.

    ``fixed``: reorder when available + incoming is at or below ``reorder_point``.
    ``velocity``: the point is average daily sales over ``velocity_window_days`` times
    (the supplier's lead time + ``safety_days``), rounded up. Either way the order tops the
    position up to point + quantity, where quantity is ``reorder_quantity`` or, for a
    velocity rule with none set, the units sold in one window.
    """

    class Method(models.TextChoices):
        FIXED = "fixed", "Fixed reorder point"
        VELOCITY = "velocity", "From sales velocity"

    variant = models.ForeignKey(Variant, related_name="reorder_rules", on_delete=models.CASCADE)
    warehouse = models.ForeignKey(Warehouse, related_name="reorder_rules",
                                  on_delete=models.CASCADE)
    method = models.CharField(max_length=10, choices=Method.choices, default=Method.FIXED)
    reorder_point = models.PositiveIntegerField(default=0)
    reorder_quantity = models.PositiveIntegerField(default=0)
    velocity_window_days = models.PositiveSmallIntegerField(default=30)
    safety_days = models.PositiveSmallIntegerField(default=7)
    supplier = models.ForeignKey(
        Supplier, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        help_text="Empty: the cheapest active supplier with a price for the variant.")
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["variant", "warehouse"]
        constraints = [
            models.UniqueConstraint(fields=["variant", "warehouse"], name="reorder_rule_unique"),
            models.CheckConstraint(condition=models.Q(velocity_window_days__gte=1),
                                   name="reorder_window_at_least_one_day"),
            models.CheckConstraint(
                condition=~models.Q(method="fixed", reorder_quantity=0),
                name="reorder_fixed_needs_quantity"),
        ]

    def __str__(self) -> str:
        return f"Reorder {self.variant.sku} @ {self.warehouse.code}"


class PurchaseOrder(StateMachine, models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SENT = "sent", "Sent"
        PARTIALLY_RECEIVED = "partially_received", "Partially received"
        RECEIVED = "received", "Received"
        CANCELED = "canceled", "Canceled"

    TRANSITIONS = {
        Status.DRAFT: {Status.SENT, Status.CANCELED},
        Status.SENT: {Status.PARTIALLY_RECEIVED, Status.RECEIVED, Status.CANCELED},
        Status.PARTIALLY_RECEIVED: {Status.PARTIALLY_RECEIVED, Status.RECEIVED},
        Status.RECEIVED: set(),
        Status.CANCELED: set(),
    }
    # Goods may still arrive against these (incoming stock).
    OPEN = (Status.SENT, Status.PARTIALLY_RECEIVED)
    # Counted as incoming by the reorder check, so it never orders the same need twice.
    PENDING = (Status.DRAFT, Status.SENT, Status.PARTIALLY_RECEIVED)

    supplier = models.ForeignKey(Supplier, related_name="purchase_orders",
                                 on_delete=models.PROTECT)
    warehouse = models.ForeignKey(Warehouse, related_name="purchase_orders",
                                  on_delete=models.PROTECT, help_text="Deliver to.")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT,
                              db_index=True)
    currency = models.CharField(max_length=3)
    expected_on = models.DateField(null=True, blank=True,
                                   help_text="When the goods should arrive.")
    note = models.TextField(blank=True)
    drafted_automatically = models.BooleanField(default=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True,
                                      help_text="When the PDF went to the supplier.")
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        permissions = [
            ("send_purchaseorder", "Can send purchase orders to suppliers"),
            ("receive_purchaseorder", "Can receive goods against purchase orders"),
        ]

    NUMBER_PREFIX = "PO-"

    def __str__(self) -> str:
        return self.number

    @property
    def number(self) -> str:
        """Shown to suppliers and written on every receipt's ledger line."""
        return f"{self.NUMBER_PREFIX}{self.pk:05d}" if self.pk else "New purchase order"


    state_field = "status"


class PurchaseOrderLine(models.Model):
    purchase_order = models.ForeignKey(PurchaseOrder, related_name="lines",
                                       on_delete=models.CASCADE)
    variant = models.ForeignKey(Variant, related_name="+", on_delete=models.PROTECT)
    quantity_ordered = models.PositiveIntegerField()
    quantity_received = models.PositiveIntegerField(default=0)
    unit_cost = models.DecimalField(max_digits=12, decimal_places=2)

    class Meta:
        ordering = ["purchase_order", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["purchase_order", "variant"],
                                    name="purchase_order_line_unique"),
            models.CheckConstraint(condition=models.Q(quantity_ordered__gte=1),
                                   name="po_line_ordered_at_least_one"),
            models.CheckConstraint(condition=models.Q(unit_cost__gte=0),
                                   name="po_line_cost_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.variant.sku} × {self.quantity_ordered}"

    @property
    def quantity_outstanding(self) -> int:
        return max(self.quantity_ordered - self.quantity_received, 0)


class PurchaseOrderEvent(models.Model):
    """The purchase order's timeline: drafted, sent, emailed, each receipt (with over- and
    under-receipts named), closed short, canceled."""

    class Type(models.TextChoices):
        DRAFTED = "drafted", "Drafted"
        SENT = "sent", "Sent"
        EMAILED = "emailed", "Emailed to supplier"
        RECEIVED = "received", "Goods received"
        OVER_RECEIVED = "over_received", "Over-receipt"
        UNDER_RECEIVED = "under_received", "Under-receipt"
        CANCELED = "canceled", "Canceled"

    purchase_order = models.ForeignKey(PurchaseOrder, related_name="events",
                                       on_delete=models.CASCADE)
    type = models.CharField(max_length=20, choices=Type.choices)
    message = models.CharField(max_length=500)
    data = models.JSONField(default=dict, blank=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                             on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return self.message


class LowStockDigest(models.Model):
    """One low-stock email per day: claimed under this row's lock, so a reorder check run
    twice sends it once."""

    day = models.DateField(unique=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    lines = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-day"]

    def __str__(self) -> str:
        return f"Low-stock digest {self.day}"


# --- Transfers between warehouses -----------------------------------------------------------


class StockTransfer(StateMachine, models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        IN_TRANSIT = "in_transit", "In transit"
        RECEIVED = "received", "Received"
        CANCELED = "canceled", "Canceled"

    TRANSITIONS = {
        Status.DRAFT: {Status.IN_TRANSIT, Status.CANCELED},
        Status.IN_TRANSIT: {Status.RECEIVED},
        Status.RECEIVED: set(),
        Status.CANCELED: set(),
    }

    source = models.ForeignKey(Warehouse, related_name="transfers_out", on_delete=models.PROTECT)
    destination = models.ForeignKey(Warehouse, related_name="transfers_in",
                                    on_delete=models.PROTECT)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT,
                              db_index=True)
    note = models.CharField(max_length=255, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    dispatched_at = models.DateTimeField(null=True, blank=True)
    received_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        permissions = [
            ("dispatch_stocktransfer", "Can send stock transfers on their way"),
            ("receive_stocktransfer", "Can receive stock transfers"),
        ]
        constraints = [
            models.CheckConstraint(condition=~models.Q(source=models.F("destination")),
                                   name="transfer_between_two_warehouses"),
        ]

    NUMBER_PREFIX = "TR-"

    def __str__(self) -> str:
        return self.number

    @property
    def number(self) -> str:
        return f"{self.NUMBER_PREFIX}{self.pk:05d}" if self.pk else "New transfer"


    state_field = "status"


class StockTransferLine(models.Model):
    transfer = models.ForeignKey(StockTransfer, related_name="lines", on_delete=models.CASCADE)
    variant = models.ForeignKey(Variant, related_name="+", on_delete=models.PROTECT)
    quantity = models.PositiveIntegerField()

    class Meta:
        ordering = ["transfer", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["transfer", "variant"], name="transfer_line_unique"),
            models.CheckConstraint(condition=models.Q(quantity__gte=1),
                                   name="transfer_line_at_least_one"),
        ]

    def __str__(self) -> str:
        return f"{self.variant.sku} × {self.quantity}"


# --- Cycle counts ---------------------------------------------------------------------------


class StockCount(StateMachine, models.Model):
    """A cycle count of a warehouse, one zone (bins starting with ``zone``) or a SKU list.

    Counted quantities are entered against the on-hand figure read at that moment
    (``expected``); approval posts the variance (counted - expected) as a count adjustment,
    so stock that moved between entering and approving is kept. A line whose count would
    leave on hand below what is allocated to orders is flagged for review, never posted.
    """

    class Status(models.TextChoices):
        COUNTING = "counting", "Counting"
        IN_REVIEW = "in_review", "In review"
        APPROVED = "approved", "Approved"
        CANCELED = "canceled", "Canceled"

    TRANSITIONS = {
        Status.COUNTING: {Status.IN_REVIEW, Status.APPROVED, Status.CANCELED},
        Status.IN_REVIEW: {Status.IN_REVIEW, Status.APPROVED, Status.CANCELED},
        Status.APPROVED: set(),
        Status.CANCELED: set(),
    }

    warehouse = models.ForeignKey(Warehouse, related_name="counts", on_delete=models.PROTECT)
    zone = models.CharField(max_length=40, blank=True,
                            help_text="Count only bins starting with this (e.g. A-).")
    skus = models.TextField(blank=True, help_text="Count only these SKUs (one a line).")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.COUNTING,
                              db_index=True)
    reason = models.CharField(max_length=255, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    approved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        permissions = [("approve_stockcount", "Can approve count variances")]

    NUMBER_PREFIX = "CC-"

    def __str__(self) -> str:
        return self.number

    @property
    def number(self) -> str:
        return f"{self.NUMBER_PREFIX}{self.pk:05d}" if self.pk else "New count"


    state_field = "status"


class StockCountLine(models.Model):
    count = models.ForeignKey(StockCount, related_name="lines", on_delete=models.CASCADE)
    stock_level = models.ForeignKey(StockLevel, related_name="+", on_delete=models.PROTECT)
    expected = models.IntegerField(help_text="On hand when the count was entered.")
    counted = models.IntegerField(null=True, blank=True)
    needs_review = models.BooleanField(default=False)
    review_note = models.CharField(max_length=255, blank=True)
    posted_at = models.DateTimeField(null=True, blank=True)
    movement = models.ForeignKey(StockMovement, null=True, blank=True,
                                 on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["count", "stock_level__bin_location", "stock_level__variant__sku"]
        constraints = [
            models.UniqueConstraint(fields=["count", "stock_level"], name="count_line_unique"),
            models.CheckConstraint(
                condition=models.Q(counted__isnull=True) | models.Q(counted__gte=0),
                name="count_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.stock_level} counted {self.counted}"

    @property
    def variance(self) -> int | None:
        return None if self.counted is None else self.counted - self.expected
