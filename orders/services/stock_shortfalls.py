"""Payments that arrive after an order's stock was released, and the stock shortfalls queue.

An unpaid order is canceled at its deadline and its stock released. If its payment then
succeeds anyway (a Stripe webhook hours late, an authentication finished after the cancel),
the order is reopened as paid and its lines are allocated again when the stock is still
free. When it is not, the order goes to the stock shortfalls queue instead of shipping short
or oversold; staff backorder it, fulfil it from another warehouse, offer a substitute (the
shopper accepts by a signed link), or cancel and refund it (``payments.services``).
"""

from __future__ import annotations

import datetime
from functools import partial

from django.core import signing
from django.db import transaction
from django.utils import timezone

from catalog.models import Variant
from inventory.models import Warehouse
from inventory.selectors import available_to_sell, with_expected_restock
from kernel.errors import InvalidTransition, NotFound, ShopError

from .. import locks
from ..exceptions import OutOfStock
from ..models import Order, OrderEvent, OrderLine, StockShortfall
from ..signals import order_allocated, order_paid, stock_shortfall_notice
from .events import record_event
from .placing import allocate_lines

State = StockShortfall.State
SUBSTITUTE_SALT = "orders.substitute-offer"
SUBSTITUTE_MAX_AGE = 14 * 86400


class StockShortfallError(ShopError):
    code = "stock_shortfall_invalid"


def record_late_payment(order: Order, *, payment_status: str, event_type: str, message: str,
                        data: dict | None, actor=None) -> Order:
    """A canceled order's payment succeeded (call with the order locked, inside the
    payment's transaction). The order reopens as paid; its lines are allocated again when
    the stock is free (all or nothing, under the stock locks), else a stock shortfall
    opens. ``order_paid`` is sent after commit either way (the receipt goes out;
    fulfillment finds allocations only when there are any, so nothing ships short)."""
    order.ensure_status(Order.Status.OPEN)
    order.status = Order.Status.OPEN
    order.canceled_at = None
    order.payment_status = payment_status
    order.payment_due_by = None
    order.paid_at = order.paid_at or timezone.now()
    order.save(update_fields=["status", "canceled_at", "payment_status", "payment_due_by",
                              "paid_at", "updated_at"])
    record_event(order, event_type, message, actor=actor, data=data)
    lines = list(order.lines.order_by("pk"))
    try:
        with transaction.atomic():  # a savepoint: a shortage leaves nothing half-allocated
            allocate_lines(lines, pickup_warehouse_id=order.pickup_warehouse_id)
    except OutOfStock as error:
        shortfall = StockShortfall.objects.create(
            order=order, reason=f"Paid after it was canceled; {error.message}",
            short_lines=_shortages(lines), value_at_risk=order.total)
        record_event(order, OrderEvent.Type.STOCK_SHORTFALL,
                     f"The payment arrived after the order was canceled and its stock "
                     f"released. {error.message} Waiting for a staff decision.",
                     data={"shortfall": shortfall.pk})
    else:
        record_event(order, OrderEvent.Type.LATE_PAYMENT,
                     "The payment arrived after the order was canceled; its stock was still "
                     "free, so the order goes ahead.")
    transaction.on_commit(partial(order_paid.send, sender=Order, order_id=order.pk))
    return order


def _shortages(lines: list[OrderLine]) -> list[dict]:
    free = available_to_sell(variant_ids=[line.variant_id for line in lines])
    return [{"line": line.pk, "sku": line.sku, "wanted": line.quantity,
             "free": free[line.variant_id]} for line in lines
            if free[line.variant_id] < line.quantity]


def _ensure_open(shortfall: StockShortfall) -> None:
    if not shortfall.is_open:
        raise InvalidTransition(f"This shortfall is already "
                                f"{shortfall.get_state_display().lower()}.")


def _resolve(shortfall: StockShortfall, resolution: str, message: str, *, actor=None) -> None:
    shortfall.state = State.CANCELED if resolution == StockShortfall.Resolution.CANCELED \
        else State.RESOLVED
    shortfall.resolution = resolution
    shortfall.resolved_at = timezone.now()
    shortfall.resolved_by = actor if getattr(actor, "is_authenticated", False) else None
    shortfall.save()
    record_event(shortfall.order, OrderEvent.Type.STOCK_SHORTFALL, message, actor=actor,
                 data={"shortfall": shortfall.pk, "resolution": resolution})


def _not_owed(order: Order) -> str:
    """Why the (locked) order's goods are no longer owed, so stock must not be allocated to
    it: canceled or closed, or its payment refunded, voided or gone; "" while it is open
    and paid for (``Order.SHIPPABLE_PAYMENT``)."""
    if order.status != Order.Status.OPEN:
        return f"the order is {order.get_status_display().lower()}"
    if order.payment_status not in Order.SHIPPABLE_PAYMENT:
        return f"the order's payment is {order.get_payment_status_display().lower()}"
    return ""


def _close_if_not_owed(shortfall: StockShortfall, *, actor=None) -> str:
    """With the shortfall and its order locked: close the shortfall, allocating nothing,
    when the order's goods are no longer owed (it was canceled and refunded elsewhere, e.g.
    from the order page, or refunded at the gateway). Returns why it was closed ("" when
    the order is still owed its goods)."""
    why = _not_owed(shortfall.order)
    if why:
        _resolve(shortfall, StockShortfall.Resolution.CANCELED,
                 f"Stock shortfall closed without allocating: {why}.", actor=actor)
    return why


def _allocate_and_resolve(shortfall: StockShortfall, resolution: str, message: str, *,
                          warehouse_id: int | None = None, actor=None) -> StockShortfall:
    """Allocate every line (from ``warehouse_id`` only, when given) and resolve; raises
    OutOfStock and changes nothing when the stock isn't there. Call with the shortfall and
    its order locked (``locks.shortfall_for_update``), after ``_close_if_not_owed``; an
    order with a cancel requested is refused (InvalidTransition): its cancel closes the
    shortfall, or, withdrawn, leaves it open."""
    order = shortfall.order
    if _not_owed(order):  # pragma: no cover - callers close it first
        raise InvalidTransition(f"Order {order.number} is not owed its goods.")
    order.ensure_no_cancel_requested("allocated")
    lines = list(order.lines.order_by("pk"))
    with transaction.atomic():
        allocate_lines(lines, pickup_warehouse_id=warehouse_id or order.pickup_warehouse_id)
    _resolve(shortfall, resolution, message, actor=actor)
    transaction.on_commit(partial(order_allocated.send, sender=Order, order_id=order.pk))
    return shortfall


def retry_allocation(*, shortfall_id: int, actor=None) -> bool:
    """Try to allocate a waiting order again (a beat task for backorders, or staff).
    Returns whether it was allocated; False, with nothing changed, while stock is short or
    the order's cancel is under way. An order no longer owed its goods (canceled, refunded)
    gets nothing: its shortfall is closed (and False returned)."""
    with transaction.atomic():
        shortfall = locks.shortfall_for_update(shortfall_id)
        if not shortfall.is_open or _close_if_not_owed(shortfall, actor=actor):
            return False
        if shortfall.order.cancel_requested:
            return False
        try:
            _allocate_and_resolve(shortfall, StockShortfall.Resolution.REALLOCATED,
                                  "Stock is available again: allocated, the order ships.",
                                  actor=actor)
        except OutOfStock:
            return False
        return True


def close_shortfalls_of_canceled_order(order: Order, *, reason: str, actor=None) -> int:
    """The order was just canceled (call with it locked, in ``cancel_order``'s
    transaction): close its open stock shortfalls, so no retry, backorder or substitute
    allocates stock to it. Returns how many were closed."""
    shortfalls = locks.open_shortfalls_for_update(order)
    for shortfall in shortfalls:
        shortfall.order = order
        _resolve(shortfall, StockShortfall.Resolution.CANCELED,
                 f"Stock shortfall closed: the order was canceled ({reason}).", actor=actor)
    return len(shortfalls)


def open_shortfall_ids() -> list[int]:
    return list(StockShortfall.objects.filter(state__in=[State.OPEN, State.BACKORDERED])
                .order_by("pk").values_list("pk", flat=True)[:500])


def expected_restock_date(shortfall: StockShortfall) -> datetime.date | None:
    """When open purchase orders bring every short item back: the latest of their earliest
    expected dates, or None when one of them has no purchase order on the way."""
    variant_ids = list(OrderLine.objects.filter(
        pk__in=[row["line"] for row in shortfall.short_lines]).values_list("variant_id",
                                                                           flat=True))
    dates = [variant.expected_restock_on for variant in
             with_expected_restock(Variant.objects.filter(pk__in=variant_ids))]
    if not dates or None in dates:
        return None
    return max(dates)


def backorder(*, shortfall_id: int, expected_on: datetime.date | None = None,
              actor=None) -> StockShortfall:
    """Keep the order and tell the shopper when the stock is expected (``expected_on``, or
    from the open purchase orders that bring it); it ships as soon as stock can be
    allocated (the beat task retries backorders)."""
    if expected_on is not None and not isinstance(expected_on, datetime.date):
        raise StockShortfallError("Enter the date the stock is expected.")
    with transaction.atomic():
        shortfall = locks.shortfall_for_update(shortfall_id)
        _ensure_open(shortfall)
        expected_on = expected_on or expected_restock_date(shortfall)
        if expected_on is None:
            raise StockShortfallError("No open purchase order brings this stock; enter the "
                                      "date it is expected.")
        if expected_on <= timezone.now().date():
            raise StockShortfallError("The expected date must be after today.")
        first = shortfall.state != State.BACKORDERED
        shortfall.state = State.BACKORDERED
        shortfall.expected_on = expected_on
        shortfall.save(update_fields=["state", "expected_on"])
        record_event(shortfall.order, OrderEvent.Type.STOCK_SHORTFALL,
                     f"Backordered: the stock is expected around {expected_on:%B %-d, %Y}.",
                     actor=actor, data={"shortfall": shortfall.pk})
        if first:
            transaction.on_commit(partial(stock_shortfall_notice.send, sender=Order,
                                          order_id=shortfall.order_id, kind="backorder"))
        return shortfall


def fulfil_from_warehouse(*, shortfall_id: int, warehouse_id: int, actor=None) -> StockShortfall:
    """Allocate the whole order from one chosen warehouse (one with the stock the
    storefront's own choice missed, e.g. a store)."""
    with transaction.atomic():
        shortfall = locks.shortfall_for_update(shortfall_id)
        _ensure_open(shortfall)
        warehouse = Warehouse.objects.filter(pk=warehouse_id, is_active=True).first()
        if warehouse is None:
            raise StockShortfallError("Choose an active warehouse.")
        why = _close_if_not_owed(shortfall, actor=actor)
        if not why:
            return _allocate_and_resolve(
                shortfall, StockShortfall.Resolution.OTHER_WAREHOUSE,
                f"Allocated from {warehouse.name}; the order ships from there.",
                warehouse_id=warehouse.pk, actor=actor)
    # The close is committed; staff are told why nothing was allocated.
    raise InvalidTransition(f"Nothing allocated: {why}, so its stock shortfall was closed.")


def offer_substitute(*, shortfall_id: int, line_id: int, variant_id: int,
                     actor=None) -> StockShortfall:
    """Offer the shopper another variant for a short line; they accept or decline by the
    link in the email. Nothing changes on the order until they accept."""
    with transaction.atomic():
        shortfall = locks.shortfall_for_update(shortfall_id)
        _ensure_open(shortfall)
        line = OrderLine.objects.filter(pk=line_id, order_id=shortfall.order_id).first()
        if line is None:
            raise NotFound("That item is not on this order.")
        variant = Variant.objects.filter(pk=variant_id, is_active=True).first()
        if variant is None or variant.pk == line.variant_id:
            raise StockShortfallError("Choose another variant that is on sale.")
        shortfall.state = State.AWAITING_SHOPPER
        shortfall.substitute_line, shortfall.substitute_variant = line, variant
        shortfall.save(update_fields=["state", "substitute_line", "substitute_variant"])
        record_event(shortfall.order, OrderEvent.Type.STOCK_SHORTFALL,
                     f"Offered {variant} instead of {line.description}; waiting for the "
                     "shopper.", actor=actor, data={"shortfall": shortfall.pk})
        transaction.on_commit(partial(stock_shortfall_notice.send, sender=Order,
                                      order_id=shortfall.order_id, kind="substitute_offer"))
        return shortfall


def substitute_signature(shortfall: StockShortfall) -> str:
    return signing.dumps(str(shortfall.token), salt=SUBSTITUTE_SALT, compress=False)


def shortfall_from_signature(signature: str) -> StockShortfall | None:
    try:
        token = signing.loads(signature, salt=SUBSTITUTE_SALT, max_age=SUBSTITUTE_MAX_AGE)
    except (signing.BadSignature, ValueError, TypeError):
        return None
    return (StockShortfall.objects.select_related("order", "substitute_line",
                                                  "substitute_variant__product")
            .filter(token=token).first())


def answer_substitute(*, shortfall_id: int, accept: bool) -> StockShortfall:
    """The shopper's answer. Accepting swaps the line to the substitute (at the price they
    paid) and allocates; if the substitute sold out meanwhile the shortfall reopens for
    staff. Declining reopens it too (staff then cancel and refund, or backorder)."""
    with transaction.atomic():
        shortfall = locks.shortfall_for_update(shortfall_id)
        if shortfall.state != State.AWAITING_SHOPPER:
            raise InvalidTransition("This offer has already been answered or withdrawn.")
        why = _close_if_not_owed(shortfall)
        if not why:
            return _answer_substitute(shortfall, accept=accept)
    # The close is committed; the shopper is told the offer no longer stands.
    raise InvalidTransition(f"This offer no longer stands: {why}.")


def _answer_substitute(shortfall: StockShortfall, *, accept: bool) -> StockShortfall:
    """``answer_substitute``'s work, with the shortfall and its order locked."""
    line, variant = shortfall.substitute_line, shortfall.substitute_variant
    shortfall.state = State.OPEN
    shortfall.save(update_fields=["state"])
    if not accept or line is None or variant is None:
        shortfall.note = "The shopper declined the substitute."
        shortfall.save(update_fields=["note"])
        record_event(shortfall.order, OrderEvent.Type.STOCK_SHORTFALL,
                     "The shopper declined the substitute.",
                     data={"shortfall": shortfall.pk})
        return shortfall
    try:
        with transaction.atomic():
            was = line.description
            OrderLine.objects.filter(pk=line.pk).update(
                variant=variant, sku=variant.sku, product_name=variant.product.title,
                variant_name=variant.title, weight_grams=variant.weight_grams)
            _allocate_and_resolve(shortfall, StockShortfall.Resolution.SUBSTITUTED,
                                  f"The shopper accepted {variant} instead of {was}; "
                                  "allocated.")
    except OutOfStock:
        shortfall.note = f"The shopper accepted {variant}, but it sold out meanwhile."
        shortfall.save(update_fields=["note"])
        record_event(shortfall.order, OrderEvent.Type.STOCK_SHORTFALL, shortfall.note,
                     data={"shortfall": shortfall.pk})
    return shortfall


def close_canceled_shortfall(*, shortfall_id: int, actor=None) -> StockShortfall:
    """Mark a shortfall canceled once its order was canceled and refunded
    (``payments.services.cancel_stock_shortfall`` does both, then calls this), and send the
    shopper the apology. The order's cancel closes its open shortfalls itself
    (``close_shortfalls_of_canceled_order``): one closed that way, with its order canceled,
    is left as it is (the apology still goes out); any other closed one is refused."""
    with transaction.atomic():
        shortfall = locks.shortfall_for_update(shortfall_id)
        closed_by_cancel = (shortfall.resolution == StockShortfall.Resolution.CANCELED
                            and shortfall.order.status == Order.Status.CANCELED)
        if not closed_by_cancel:
            _ensure_open(shortfall)
            _resolve(shortfall, StockShortfall.Resolution.CANCELED,
                     "Canceled and refunded in full: the stock could not be found.",
                     actor=actor)
        transaction.on_commit(partial(stock_shortfall_notice.send, sender=Order,
                                      order_id=shortfall.order_id, kind="stock_apology"))
        return shortfall

