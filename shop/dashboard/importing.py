"""Bringing historic orders in from another platform (``manage.py import_orders``).

The CSV has one row per order line, the order's columns repeated on each of its rows (as
Shopify's and WooCommerce's exports do); docs/IMPORT_ORDERS.md lists the columns. Every row
is checked first and every problem reported with its line number; only a file with none
is written, in one transaction, so a bad file leaves nothing half-imported.

The live services (``place_order``, ``start_payment``, ``ship_shipment``) take no historic
time: they stamp "now", reserve stock and call gateways and carriers. History needs none of
that (the goods left long ago, the money moved on the old platform), so this service
writes the same rows those services write, with the real timestamps, and appends the same
timeline events (dated when they happened). Stock is not touched. The KPI roll-ups are
rebuilt from the first imported day afterwards (the command does it).
"""

from __future__ import annotations

import csv
import datetime as dt
import uuid
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.db import transaction

from catalog.models import Variant
from fulfillment.models import Shipment, ShipmentLine
from inventory.models import StockLevel, Warehouse
from kernel.errors import ShopError
from orders.models import Address, Order, OrderEvent, OrderLine
from orders.services.events import record_event
from payments.models import Payment

from .periods import local_day

REQUIRED = ["order_ref", "placed_at", "email", "country", "sku", "product_name", "quantity",
            "unit_price"]
OPTIONAL = ["first_name", "last_name", "line1", "city", "postal_code", "currency",
            "line_discount", "line_tax", "shipping", "paid_at", "shipped_at", "warehouse",
            "carrier", "tracking_number", "delivered_at", "refunded_at", "refund_amount"]
# Columns that belong to the order: the same on each of its rows.
ORDER_COLUMNS = ["placed_at", "email", "country", "first_name", "last_name", "line1", "city",
                 "postal_code", "currency", "shipping", "paid_at", "shipped_at", "warehouse",
                 "carrier", "tracking_number", "delivered_at", "refunded_at",
                 "refund_amount"]
CENT = Decimal("0.01")
PREFIX = "IMP-"


class ImportRefused(ShopError):
    """The file has problems: nothing was written. ``problems`` lists them by line."""

    def __init__(self, problems: list[str]):
        super().__init__(f"{len(problems)} problem{'s' if len(problems) != 1 else ''} in the "
                         "file; nothing was imported:\n" + "\n".join(problems))
        self.problems = problems


@dataclass
class ImportedOrder:
    ref: str
    first_line: int
    fields: dict
    lines: list[dict] = field(default_factory=list)


@dataclass
class ImportResult:
    orders: int
    lines: int
    first_day: dt.date | None


def _moment(value: str, column: str, problems: list[str], where: str) -> dt.datetime | None:
    if not value:
        return None
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        problems.append(f"{where}: {column} {value!r} is not a date and time "
                        "(use ISO 8601, e.g. 2024-11-02T14:30:00-05:00).")
        return None
    if moment.tzinfo is None:
        problems.append(f"{where}: {column} {value!r} has no UTC offset (add one, e.g. "
                        "+00:00).")
        return None
    return moment


def _amount(value: str, column: str, problems: list[str], where: str,
            default: str | None = "0") -> Decimal | None:
    if not value:
        return Decimal(default) if default is not None else None
    try:
        amount = Decimal(value)
    except InvalidOperation:
        problems.append(f"{where}: {column} {value!r} is not an amount.")
        return None
    if amount < 0 or amount != amount.quantize(CENT):
        problems.append(f"{where}: {column} {value!r} must be zero or more, to the cent.")
        return None
    return amount


def read_orders(stream) -> list[ImportedOrder]:
    """Parse and check the whole file. Raises ImportRefused with every problem found."""
    reader = csv.DictReader(stream)
    header = [name.strip() for name in (reader.fieldnames or [])]
    missing = [name for name in REQUIRED if name not in header]
    if missing:
        raise ImportRefused([f"line 1: missing column{'s' if len(missing) > 1 else ''} "
                             f"{', '.join(missing)}."])
    unknown = [name for name in header if name not in REQUIRED + OPTIONAL]
    if unknown:
        raise ImportRefused([f"line 1: unknown column{'s' if len(unknown) > 1 else ''} "
                             f"{', '.join(unknown)}."])
    problems: list[str] = []
    orders: dict[str, ImportedOrder] = {}
    for number, raw in enumerate(reader, start=2):
        row = {key.strip(): (value or "").strip() for key, value in raw.items() if key}
        where = f"line {number}"
        for name in REQUIRED:
            if not row.get(name):
                problems.append(f"{where}: {name} is empty.")
        ref = row.get("order_ref", "")
        if not ref:
            continue
        order = orders.get(ref)
        if order is None:
            order = orders[ref] = ImportedOrder(ref, number, {c: row.get(c, "") for c in
                                                              ORDER_COLUMNS})
        else:
            for column in ORDER_COLUMNS:
                if row.get(column, "") != order.fields[column]:
                    problems.append(f"{where}: {column} differs from line {order.first_line} "
                                    f"of order {ref}.")
        try:
            quantity = int(row.get("quantity", ""))
            if quantity <= 0:
                raise ValueError
        except ValueError:
            problems.append(f"{where}: quantity {row.get('quantity')!r} must be a whole "
                            "number above zero.")
            quantity = None
        order.lines.append({
            "sku": row.get("sku", ""), "product_name": row.get("product_name", ""),
            "quantity": quantity,
            "unit_price": _amount(row.get("unit_price", ""), "unit_price", problems, where,
                                  default=None),
            "discount": _amount(row.get("line_discount", ""), "line_discount", problems, where),
            "tax": _amount(row.get("line_tax", ""), "line_tax", problems, where)})
    if not orders and not problems:
        problems.append("line 2: the file has no orders.")
    warehouses = set(Warehouse.objects.values_list("code", flat=True))
    taken = set(Order.objects.filter(number__in=[PREFIX + ref for ref in orders])
                .values_list("number", flat=True))
    for ref, order in orders.items():
        where = f"line {order.first_line} (order {ref})"
        f = order.fields
        if PREFIX + ref in taken:
            problems.append(f"{where}: already imported (order {PREFIX + ref} exists).")
        if len(PREFIX + ref) > 20:
            problems.append(f"{where}: order_ref is longer than {20 - len(PREFIX)} characters.")
        times = {name: _moment(f[name], name, problems, where)
                 for name in ("placed_at", "paid_at", "shipped_at", "delivered_at",
                              "refunded_at")}
        order.times = times
        order.shipping = _amount(f["shipping"], "shipping", problems, where)
        order.refund = _amount(f["refund_amount"], "refund_amount", problems, where)
        if len(f["country"]) != 2:
            problems.append(f"{where}: country {f['country']!r} must be a two-letter code.")
        if "@" not in f["email"]:
            problems.append(f"{where}: email {f['email']!r} is not an email address.")
        if f["currency"] and f["currency"] != settings.SHOP_CURRENCY:
            problems.append(f"{where}: currency {f['currency']} is not the shop's "
                            f"({settings.SHOP_CURRENCY}).")
        placed, paid = times["placed_at"], times["paid_at"]
        shipped, delivered = times["shipped_at"], times["delivered_at"]
        order_of_events = [("placed_at", placed), ("paid_at", paid), ("shipped_at", shipped),
                           ("delivered_at", delivered)]
        known = [(name, moment) for name, moment in order_of_events if moment]
        for (a, first), (b, second) in zip(known, known[1:], strict=False):
            if second < first:
                problems.append(f"{where}: {b} is before {a}.")
        if delivered and not shipped:
            problems.append(f"{where}: delivered_at without shipped_at.")
        if shipped and f["warehouse"] not in warehouses:
            problems.append(f"{where}: warehouse {f['warehouse']!r} is not a warehouse code "
                            f"here ({', '.join(sorted(warehouses)) or 'none yet'}).")
        if f["carrier"] and f["carrier"] not in Shipment.Carrier.values:
            problems.append(f"{where}: carrier {f['carrier']!r} is not one of "
                            f"{', '.join(Shipment.Carrier.values)}.")
        if (order.refund or times["refunded_at"]) and not (order.refund and times["refunded_at"]
                                                           and paid):
            problems.append(f"{where}: a refund needs refund_amount, refunded_at and paid_at.")
        if all(line["unit_price"] is not None and line["quantity"] for line in order.lines) \
                and order.shipping is not None and order.refund is not None:
            subtotal = sum((line["unit_price"] * line["quantity"] for line in order.lines),
                           Decimal("0"))
            discount = sum((line["discount"] or 0 for line in order.lines), Decimal("0"))
            if discount > subtotal:
                problems.append(f"{where}: the discounts are more than the items.")
            total = subtotal - discount + order.shipping + sum(
                (line["tax"] or 0 for line in order.lines), Decimal("0"))
            if order.refund > total:
                problems.append(f"{where}: refund_amount {order.refund} is more than the "
                                f"order's total {total}.")
    if problems:
        raise ImportRefused(problems)
    return list(orders.values())


def import_orders(*, stream) -> ImportResult:
    """Check the whole CSV (``ImportRefused`` lists every problem; nothing is written), then
    write every order in one transaction."""
    orders = read_orders(stream)
    variants = {v.sku: v for v in Variant.objects.filter(
        sku__in={line["sku"] for order in orders for line in order.lines})}
    warehouses = {w.code: w for w in Warehouse.objects.all()}
    with transaction.atomic():
        for order in orders:
            _write(order, variants, warehouses)
    first = min((order.times["placed_at"] for order in orders), default=None)
    return ImportResult(len(orders), sum(len(o.lines) for o in orders), local_day(first))


def _write(order: ImportedOrder, variants: dict, warehouses: dict) -> Order:
    f, times = order.fields, order.times
    placed, paid, shipped = times["placed_at"], times["paid_at"], times["shipped_at"]
    delivered, refunded_at = times["delivered_at"], times["refunded_at"]
    subtotal = sum((line["unit_price"] * line["quantity"] for line in order.lines), Decimal(0))
    discount = sum((line["discount"] for line in order.lines), Decimal(0))
    tax = sum((line["tax"] for line in order.lines), Decimal(0))
    total = subtotal - discount + order.shipping + tax
    address = Address.objects.create(first_name=f["first_name"], last_name=f["last_name"],
                                     line1=f["line1"], city=f["city"],
                                     postal_code=f["postal_code"], country=f["country"].upper())
    refund = order.refund or Decimal("0")
    payment_status = (Order.PaymentStatus.UNPAID if not paid else
                      Order.PaymentStatus.REFUNDED if refund and refund >= total else
                      Order.PaymentStatus.PARTIALLY_REFUNDED if refund else
                      Order.PaymentStatus.PAID)
    fulfillment_status = (Order.FulfillmentStatus.DELIVERED if delivered else
                          Order.FulfillmentStatus.FULFILLED if shipped else
                          Order.FulfillmentStatus.UNFULFILLED)
    created = Order.objects.create(
        number=PREFIX + order.ref, checkout_token=uuid.uuid4(), email=f["email"],
        currency=settings.SHOP_CURRENCY, prices_include_tax=False, subtotal=subtotal,
        discount_amount=discount, shipping_amount=order.shipping, tax_amount=tax,
        total=total, shipping_address=address, billing_address=address,
        shipping_method_name="Imported", payment_status=payment_status,
        fulfillment_status=fulfillment_status,
        status=Order.Status.CLOSED if delivered else Order.Status.OPEN)
    Order.objects.filter(pk=created.pk).update(placed_at=placed, paid_at=paid)
    events = [(OrderEvent.Type.PLACED, placed, f"Imported order {order.ref}.", {})]
    lines = []
    for line in order.lines:
        variant = variants.get(line["sku"])
        lines.append(OrderLine.objects.create(
            order=created, variant=variant, product_name=line["product_name"], sku=line["sku"],
            quantity=line["quantity"], quantity_fulfilled=line["quantity"] if shipped else 0,
            unit_price=line["unit_price"], discount_amount=line["discount"],
            tax_amount=line["tax"],
            total=line["unit_price"] * line["quantity"] - line["discount"] + line["tax"]))
    if paid:
        Payment.objects.create(
            order=created, gateway=Payment.Gateway.OFFLINE, amount=total,
            currency=settings.SHOP_CURRENCY, captured_amount=total, refunded_amount=refund,
            state=(Payment.State.REFUNDED if refund and refund >= total else
                   Payment.State.PARTIALLY_REFUNDED if refund else Payment.State.CAPTURED),
            gateway_reference=f"import-{order.ref}")
        events.append((OrderEvent.Type.PAYMENT_CAPTURED, paid, "Paid (imported).",
                       {"amount": str(total)}))
    if shipped:
        warehouse = warehouses[f["warehouse"]]
        shipment = Shipment.objects.create(
            order=created, number=f"{PREFIX}{order.ref}-1", warehouse=warehouse,
            state=Shipment.State.DELIVERED if delivered else Shipment.State.SHIPPED,
            carrier=f["carrier"] or Shipment.Carrier.LOCAL,
            tracking_number=f["tracking_number"], promised_ship_by=shipped,
            shipped_at=shipped, delivered_at=delivered)
        for line in lines:
            if line.variant_id is None:
                continue  # a product no longer sold here: the order line keeps its name
            level, _ = StockLevel.objects.get_or_create(variant_id=line.variant_id,
                                                        warehouse=warehouse)
            ShipmentLine.objects.create(shipment=shipment, order_line=line, stock_level=level,
                                        quantity=line.quantity,
                                        quantity_scanned=line.quantity)
        events.append((OrderEvent.Type.SHIPPED, shipped, "Shipped (imported).", {}))
        if delivered:
            events.append((OrderEvent.Type.DELIVERED, delivered, "Delivered (imported).", {}))
    if refund:
        events.append((OrderEvent.Type.REFUNDED, refunded_at,
                       f"Refunded {refund} (imported).", {"amount": str(refund)}))
    for kind, moment, message, data in events:
        event = record_event(created, kind, message, data=data)
        OrderEvent.objects.filter(pk=event.pk).update(created_at=moment)
    return created
