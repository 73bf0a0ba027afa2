"""Purchase orders: draft -> sent (PDF emailed to the supplier) -> partially received ->
received, or canceled. Every receipt is a ledger line with the PO number as reference and
moves the variant's cost price to the weighted average of what is on hand."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from functools import partial

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import F, Sum
from django.template.loader import render_to_string
from django.utils import timezone

from catalog import services as catalog_services
from catalog.models import Variant
from kernel.bounds import INTEGER_MAX

from .. import locks, signals
from ..exceptions import StockError
from ..models import (
    PurchaseOrder,
    PurchaseOrderEvent,
    PurchaseOrderLine,
    StockLevel,
    StockMovement,
    Supplier,
    SupplierPrice,
    Warehouse,
)
from .stock import _record_movement


@dataclass(frozen=True)
class LineRequest:
    """One line asked for: a variant, how many, and optionally the unit cost (else the
    supplier's price)."""

    variant_id: int
    quantity: int
    unit_cost: Decimal | None = None


@dataclass
class Receipt:
    purchase_order: PurchaseOrder
    movements: list[StockMovement] = field(default_factory=list)
    over_received: dict[str, int] = field(default_factory=dict)


def _actor(user):
    return user if user is not None and getattr(user, "is_authenticated", False) else None


def whole_number(value, *, what: str, allow_zero: bool = False) -> int:
    """``value`` as an int, refusing bools, floats, text and numbers below the minimum."""
    if not isinstance(value, int) or isinstance(value, bool):
        raise StockError(f"{what} must be a whole number.")
    if value < 0:
        raise StockError(f"{what} cannot be negative.")
    if value == 0 and not allow_zero:
        raise StockError(f"{what} must be above zero.")
    if value > INTEGER_MAX:
        raise StockError(f"{what} can be at most {INTEGER_MAX}.")
    return value


def record_purchase_order_event(*, purchase_order: PurchaseOrder, type: str, message: str,
                                user=None, data: dict | None = None) -> PurchaseOrderEvent:
    return PurchaseOrderEvent.objects.create(purchase_order=purchase_order, type=type,
                                             message=message[:500], data=data or {},
                                             user=_actor(user))


def _validated_lines(supplier: Supplier, lines: Iterable[LineRequest]) -> list[tuple]:
    lines = list(lines)
    if not lines:
        raise StockError("A purchase order needs at least one line.")
    variant_ids = [line.variant_id for line in lines]
    if len(set(variant_ids)) != len(variant_ids):
        raise StockError("Each variant may appear once on a purchase order.")
    variants = Variant.objects.in_bulk(variant_ids)
    prices = {price.variant_id: price for price in
              SupplierPrice.objects.filter(supplier=supplier, variant_id__in=variant_ids)}
    checked = []
    for line in lines:
        variant = variants.get(line.variant_id)
        if variant is None:
            raise StockError(f"No variant {line.variant_id}.")
        quantity = whole_number(line.quantity, what=f"{variant.sku}: the quantity")
        cost = line.unit_cost
        if cost is None:
            price = prices.get(variant.pk)
            if price is None:
                raise StockError(f"{supplier} has no price for {variant.sku}; give a unit cost.")
            cost = price.cost
        try:
            cost = Decimal(cost)
        except (InvalidOperation, TypeError, ValueError) as error:
            raise StockError(f"{variant.sku}: the unit cost is not a number.") from error
        if cost < 0:
            raise StockError(f"{variant.sku}: the unit cost cannot be negative.")
        checked.append((variant, quantity, cost))
    return checked


def create_purchase_order(*, supplier_id: int, warehouse_id: int, lines: Iterable[LineRequest],
                          user: AbstractBaseUser | None = None, note: str = "",
                          expected_on: date | None = None,
                          drafted_automatically: bool = False) -> PurchaseOrder:
    """Draft a purchase order from an active supplier, to be delivered to an active
    warehouse, in the supplier's currency.

    Refused, with nothing written: no lines, a variant twice, a quantity that is not a
    whole number above zero, a negative cost, or no cost where the supplier has no price.
    """
    supplier = Supplier.objects.filter(pk=supplier_id).first()
    warehouse = Warehouse.objects.filter(pk=warehouse_id).first()
    if supplier is None or not supplier.is_active:
        raise StockError("Choose an active supplier.")
    if warehouse is None or not warehouse.is_active:
        raise StockError("Choose an active warehouse to deliver to.")
    checked = _validated_lines(supplier, lines)
    with transaction.atomic():
        purchase_order = PurchaseOrder.objects.create(
            supplier=supplier, warehouse=warehouse, currency=supplier.currency, note=note,
            expected_on=expected_on, drafted_automatically=drafted_automatically,
            created_by=_actor(user))
        PurchaseOrderLine.objects.bulk_create(
            PurchaseOrderLine(purchase_order=purchase_order, variant=variant,
                              quantity_ordered=quantity, unit_cost=cost)
            for variant, quantity, cost in checked)
        record_purchase_order_event(
            purchase_order=purchase_order, type=PurchaseOrderEvent.Type.DRAFTED, user=user,
            message=f"Drafted{' by the reorder check' if drafted_automatically else ''}: "
                    + ", ".join(f"{variant.sku} × {quantity}" for variant, quantity, _ in checked))
    return purchase_order


def add_to_draft(*, purchase_order: PurchaseOrder, variant: Variant, quantity: int,
                 unit_cost: Decimal) -> PurchaseOrderLine:
    """Add units of a variant to a locked draft (the reorder check's own drafts).
    Call inside the caller's transaction, with the purchase order locked."""
    if purchase_order.status != PurchaseOrder.Status.DRAFT:
        raise StockError(f"{purchase_order} is not a draft.")
    line = purchase_order.lines.select_for_update().filter(variant=variant).first()
    if line is None:
        return PurchaseOrderLine.objects.create(purchase_order=purchase_order, variant=variant,
                                                quantity_ordered=quantity, unit_cost=unit_cost)
    PurchaseOrderLine.objects.filter(pk=line.pk).update(
        quantity_ordered=F("quantity_ordered") + quantity)
    line.refresh_from_db()
    return line


def send_purchase_order(*, purchase_order_id: int,
                        user: AbstractBaseUser | None = None) -> PurchaseOrder:
    """A draft goes to the supplier: status sent, expected date (if unset) today plus the
    supplier's lead time, and the PDF emailed after commit by a task that sends it once."""
    with transaction.atomic():
        purchase_order = locks.purchase_order_for_update(purchase_order_id)
        purchase_order.ensure_can_become(PurchaseOrder.Status.SENT)
        if not purchase_order.lines.exists():
            raise StockError(f"{purchase_order} has no lines to send.")
        purchase_order.status = PurchaseOrder.Status.SENT
        purchase_order.sent_at = timezone.now()
        if purchase_order.expected_on is None:
            purchase_order.expected_on = timezone.localdate() + timedelta(
                days=purchase_order.supplier.lead_time_days)
        purchase_order.save(update_fields=["status", "sent_at", "expected_on"])
        record_purchase_order_event(
            purchase_order=purchase_order, type=PurchaseOrderEvent.Type.SENT, user=user,
            message=f"Sent to {purchase_order.supplier}; expected "
                    f"{purchase_order.expected_on:%Y-%m-%d}.")
        transaction.on_commit(partial(signals.purchase_order_sent.send, sender=PurchaseOrder,
                                      purchase_order_id=purchase_order.pk))
    return purchase_order


def email_purchase_order(*, purchase_order_id: int) -> bool:
    """Email the PDF to the supplier, once: claimed and sent under the order's lock, so a
    task run twice sends one email (a failed send rolls the claim back for the retry)."""
    from ..documents import purchase_order_pdf

    with transaction.atomic():
        purchase_order = locks.purchase_order_for_update(purchase_order_id)
        if purchase_order.emailed_at is not None or purchase_order.status in (
                PurchaseOrder.Status.DRAFT, PurchaseOrder.Status.CANCELED):
            return False
        purchase_order.emailed_at = timezone.now()
        purchase_order.save(update_fields=["emailed_at"])
        lines = list(purchase_order.lines.select_related("variant__product"))
        codes = dict(SupplierPrice.objects.filter(
            supplier_id=purchase_order.supplier_id, variant_id__in=[x.variant_id for x in lines])
            .values_list("variant_id", "supplier_sku"))
        for line in lines:
            line.supplier_sku = codes.get(line.variant_id, "")
        context = {"purchase_order": purchase_order, "lines": lines,
                   "shop_name": settings.SHOP_NAME}
        message = EmailMessage(
            subject=f"{settings.SHOP_NAME}: purchase order {purchase_order.number}",
            body=render_to_string("emails/inventory/purchase_order.txt", context),
            from_email=settings.DEFAULT_FROM_EMAIL, to=[purchase_order.supplier.contact_email])
        message.attach(f"{purchase_order.number}.pdf", purchase_order_pdf(purchase_order, lines),
                       "application/pdf")
        message.send()
        record_purchase_order_event(
            purchase_order=purchase_order, type=PurchaseOrderEvent.Type.EMAILED,
            message=f"PDF emailed to {purchase_order.supplier.contact_email}.")
    return True


def _weighted_cost(*, variant: Variant, units_before: int, quantity: int,
                   unit_cost: Decimal) -> Decimal:
    """The average cost of what is on hand after ``quantity`` units at ``unit_cost`` join
    ``units_before`` units at the variant's cost price (unknown cost counts as this one)."""
    units_before = max(units_before, 0)
    if variant.cost_price is None or units_before == 0:
        return unit_cost
    return ((variant.cost_price * units_before + unit_cost * quantity)
            / (units_before + quantity))


def receive_purchase_order(*, purchase_order_id: int, quantities: Mapping[int, int],
                           allow_over_receipt: bool = False,
                           user: AbstractBaseUser | None = None) -> Receipt:
    """Goods arrived against a sent purchase order: ``quantities`` maps variant id to the
    units that came (zero: none of that line this time).

    Preconditions: the order is sent or partially received; every quantity is a whole
    number, zero or more, at least one above zero, for a variant on the order; a line may
    receive more than ordered only with ``allow_over_receipt``.
    Guarantees, in one transaction under the order's lock (then its lines, stock levels
    and variants, each in pk order): one receipt movement per line with the PO number as
    reference, the lines' received counts, the variant's weighted-average cost price (when
    the order's currency is the variant's), an event naming any over-receipt, and the
    status: received when every line is complete, else partially received. On any refusal
    nothing is written.
    """
    wanted: dict[int, int] = {}
    for variant_id, quantity in quantities.items():
        wanted[int(variant_id)] = whole_number(quantity, what="A quantity received",
                                               allow_zero=True)
    if not any(wanted.values()):
        raise StockError("Enter at least one quantity received above zero.")
    with transaction.atomic():
        purchase_order = locks.purchase_order_for_update(purchase_order_id)
        if purchase_order.status == PurchaseOrder.Status.DRAFT:
            raise StockError(f"{purchase_order} is a draft; send it before receiving goods.")
        purchase_order.ensure_can_become(PurchaseOrder.Status.PARTIALLY_RECEIVED)
        if not purchase_order.warehouse.is_active:
            raise StockError(f"Warehouse {purchase_order.warehouse.code} is not active.")
        lines = {line.variant_id: line for line in purchase_order.lines.select_for_update(
            of=("self",)).select_related("variant").order_by("pk")}
        unknown = set(wanted) - set(lines)
        if unknown:
            skus = Variant.objects.filter(pk__in=unknown).values_list("sku", flat=True)
            raise StockError(f"Not on {purchase_order}: {', '.join(sorted(skus)) or unknown}.")
        receipt = Receipt(purchase_order=purchase_order)
        for variant_id, quantity in wanted.items():
            line = lines[variant_id]
            if line.quantity_received + quantity > INTEGER_MAX:
                raise StockError(f"{line.variant.sku}: {quantity} more would be more units "
                                 f"received than the shop can count.")
            over = line.quantity_received + quantity - line.quantity_ordered
            if over > 0 and quantity:
                if not allow_over_receipt:
                    raise StockError(
                        f"{line.variant.sku}: {quantity} would make "
                        f"{line.quantity_received + quantity} received of "
                        f"{line.quantity_ordered} ordered. Tick \"over-receipt\" to accept "
                        f"the extra units.")
                receipt.over_received[line.variant.sku] = min(over, quantity)
        arriving = {variant_id: quantity for variant_id, quantity in wanted.items() if quantity}
        levels = locks.levels_for_pairs_for_update(
            (variant_id, purchase_order.warehouse_id) for variant_id in arriving)
        variants = {variant.pk: variant for variant in Variant.objects.filter(
            pk__in=list(arriving)).order_by("pk").select_for_update()}
        units_before = dict(StockLevel.objects.filter(variant_id__in=list(arriving))
                            .values("variant_id").annotate(units=Sum("on_hand"))
                            .values_list("variant_id", "units").order_by())
        for line in sorted((lines[variant_id] for variant_id in arriving), key=lambda x: x.pk):
            quantity = arriving[line.variant_id]
            receipt.movements.append(_record_movement(
                level=levels[(line.variant_id, purchase_order.warehouse_id)],
                kind=StockMovement.Kind.RECEIPT, quantity=quantity,
                reason=f"Received against {purchase_order.number} from "
                       f"{purchase_order.supplier}", reference=purchase_order.number,
                user=_actor(user)))
            PurchaseOrderLine.objects.filter(pk=line.pk).update(
                quantity_received=F("quantity_received") + quantity)
            variant = variants[line.variant_id]
            if variant.currency == purchase_order.currency:
                catalog_services.set_cost_price(variant_id=variant.pk, cost_price=_weighted_cost(
                    variant=variant, units_before=units_before.get(variant.pk) or 0,
                    quantity=quantity, unit_cost=line.unit_cost))
        complete = not purchase_order.lines.filter(
            quantity_received__lt=F("quantity_ordered")).exists()
        purchase_order.status = (PurchaseOrder.Status.RECEIVED if complete
                                 else PurchaseOrder.Status.PARTIALLY_RECEIVED)
        purchase_order.closed_at = timezone.now() if complete else None
        purchase_order.save(update_fields=["status", "closed_at"])
        skus = {line.variant_id: line.variant.sku for line in lines.values()}
        record_purchase_order_event(
            purchase_order=purchase_order, type=PurchaseOrderEvent.Type.RECEIVED, user=user,
            message="Received " + ", ".join(f"{skus[variant_id]} × {quantity}"
                                            for variant_id, quantity in arriving.items())
                    + f" into {purchase_order.warehouse.code}.",
            data={"received": {skus[variant_id]: quantity
                               for variant_id, quantity in arriving.items()}})
        for sku, units in receipt.over_received.items():
            record_purchase_order_event(
                purchase_order=purchase_order, type=PurchaseOrderEvent.Type.OVER_RECEIVED,
                user=user, message=f"{sku}: {units} more than ordered accepted.",
                data={"sku": sku, "units": units})
    return receipt


def close_purchase_order(*, purchase_order_id: int, reason: str,
                         user: AbstractBaseUser | None = None) -> PurchaseOrder:
    """Close a partially received order short: it becomes received, and each short line's
    missing units are recorded as an under-receipt. Nothing more is expected from it."""
    if not reason.strip():
        raise StockError("Say why the order is closed short (e.g. supplier out of stock).")
    with transaction.atomic():
        purchase_order = locks.purchase_order_for_update(purchase_order_id)
        if purchase_order.status != PurchaseOrder.Status.PARTIALLY_RECEIVED:
            raise StockError(f"Only a partially received order can be closed short; "
                             f"{purchase_order} is {purchase_order.get_status_display().lower()}"
                             f" (cancel one that has received nothing).")
        for line in purchase_order.lines.select_related("variant").order_by("pk"):
            if line.quantity_outstanding:
                record_purchase_order_event(
                    purchase_order=purchase_order, type=PurchaseOrderEvent.Type.UNDER_RECEIVED,
                    user=user, message=f"{line.variant.sku}: {line.quantity_outstanding} of "
                                       f"{line.quantity_ordered} never arrived ({reason}).",
                    data={"sku": line.variant.sku, "units": line.quantity_outstanding})
        purchase_order.status = PurchaseOrder.Status.RECEIVED
        purchase_order.closed_at = timezone.now()
        purchase_order.save(update_fields=["status", "closed_at"])
    return purchase_order


def cancel_purchase_order(*, purchase_order_id: int, reason: str = "",
                          user: AbstractBaseUser | None = None) -> PurchaseOrder:
    """Cancel a draft or a sent order that has received nothing (a partially received one
    is closed short instead)."""
    with transaction.atomic():
        purchase_order = locks.purchase_order_for_update(purchase_order_id)
        purchase_order.ensure_can_become(PurchaseOrder.Status.CANCELED)
        purchase_order.status = PurchaseOrder.Status.CANCELED
        purchase_order.closed_at = timezone.now()
        purchase_order.save(update_fields=["status", "closed_at"])
        record_purchase_order_event(
            purchase_order=purchase_order, type=PurchaseOrderEvent.Type.CANCELED, user=user,
            message=f"Canceled{': ' + reason if reason else ''}.")
    return purchase_order


def purchase_order_line_for_code(*, purchase_order: PurchaseOrder,
                                 code: str) -> PurchaseOrderLine | None:
    """The line whose variant has this SKU or barcode (what a scanner reads)."""
    code = (code or "").strip()
    if not code:
        return None
    lines = purchase_order.lines.select_related("variant")
    return (lines.filter(variant__barcode=code).first()
            or lines.filter(variant__sku__iexact=code).first())
