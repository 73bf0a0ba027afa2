"""What returns tell an order: units came back, and replacement (exchange) orders."""

from __future__ import annotations

import uuid
from decimal import Decimal
from functools import partial

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from catalog.models import Variant
from kernel.errors import InvalidTransition

from .. import locks
from ..exceptions import OutOfStock
from ..models import Address, Order, OrderEvent, OrderLine
from ..signals import order_placed
from .events import record_event
from .placing import allocate_lines

ZERO = Decimal("0.00")


def record_returned(*, order_id: int, lines: list[tuple[int, int]], message: str,
                    actor=None) -> Order:
    """Units came back to the shop: ``lines`` is (order line id, quantity).

    Guarantees, with the order locked: each line's ``quantity_returned`` grows (never past
    what was fulfilled: a database check backs it), and the fulfillment status becomes
    ``returned`` when every unit sold has come back, else ``partially_returned``.
    """
    with transaction.atomic():
        order = locks.order_for_update(order_id)
        for line_id, quantity in lines:
            updated = OrderLine.objects.filter(
                pk=line_id, order=order,
                quantity_fulfilled__gte=F("quantity_returned") + quantity,
            ).update(quantity_returned=F("quantity_returned") + quantity)
            if not updated:
                raise InvalidTransition(f"Order {order.number}: more units would come back "
                                        "than were shipped.")
        # Units canceled before they left were never sold to the shopper's door.
        everything = all(line.quantity_returned == line.quantity - line.quantity_canceled
                         for line in order.lines.all())
        order.fulfillment_status = (Order.FulfillmentStatus.RETURNED if everything
                                    else Order.FulfillmentStatus.PARTIALLY_RETURNED)
        order.save(update_fields=["fulfillment_status", "updated_at"])
        record_event(order, OrderEvent.Type.RETURN_RECEIVED, message, actor=actor)
        return order


def _copy(address: Address | None) -> Address | None:
    return Address.objects.create(**address.as_dict()) if address is not None else None


def place_replacement_order(*, original_order_id: int, items: list[tuple[int, int]],
                            reference: str, actor=None) -> Order:
    """An exchange: a new order at no charge for ``items`` (variant id, quantity), sent to
    the original order's address by its shipping method, with stock allocated now.

    Preconditions: the original order is not canceled; each variant is active.
    Guarantees, in one transaction: the order (total zero, paid: nothing is due), its
    lines (snapshots priced at zero), its allocations and "placed" events on both orders;
    raises ``OutOfStock`` naming what is missing and writes nothing when stock is short.
    ``order_placed`` is sent after commit; the caller starts fulfillment.
    """
    if not items or any(quantity <= 0 for _, quantity in items):
        raise InvalidTransition("An exchange needs at least one item.")
    with transaction.atomic():
        original = locks.order_for_update(original_order_id)
        if original.status == Order.Status.CANCELED:
            raise InvalidTransition(f"Order {original.number} is canceled; it cannot be "
                                    "exchanged.")
        variants = {v.pk: v for v in Variant.objects.select_related("product")
                    .filter(pk__in=[variant_id for variant_id, _ in items])}
        missing = [variant_id for variant_id, _ in items if variant_id not in variants]
        inactive = [v for v in variants.values() if not v.is_active]
        if missing or inactive:
            raise OutOfStock("The exchange item is no longer sold"
                             + (f": {', '.join(str(v) for v in inactive)}" if inactive else "")
                             + ". Refund instead.", code="exchange_unavailable")
        shipping_address = _copy(original.shipping_address)
        billing_address = (shipping_address if original.billing_address_id ==
                           original.shipping_address_id else _copy(original.billing_address))
        now = timezone.now()
        order = Order.objects.create(
            number=f"tmp-{uuid.uuid4().hex[:16]}", checkout_token=uuid.uuid4(),
            user=original.user, email=original.email, currency=original.currency,
            prices_include_tax=original.prices_include_tax, subtotal=ZERO, total=ZERO,
            shipping_address=shipping_address, billing_address=billing_address,
            shipping_method=original.shipping_method,
            shipping_method_name=original.shipping_method_name,
            pickup_warehouse=original.pickup_warehouse, replaces=original,
            payment_status=Order.PaymentStatus.PAID, paid_at=now,
            customer_note=f"Exchange for order {original.number} ({reference})",
        )
        order.number = str(100000 + order.pk)
        Order.objects.filter(pk=order.pk).update(number=order.number)
        lines = OrderLine.objects.bulk_create([
            OrderLine(order=order, variant=variants[variant_id],
                      product_name=variants[variant_id].product.title,
                      variant_name=variants[variant_id].title, sku=variants[variant_id].sku,
                      quantity=quantity, unit_price=ZERO, total=ZERO,
                      weight_grams=variants[variant_id].weight_grams,
                      final_sale=variants[variant_id].product.final_sale)
            for variant_id, quantity in items])
        allocate_lines(lines, pickup_warehouse_id=order.pickup_warehouse_id)
        record_event(order, OrderEvent.Type.PLACED,
                     f"Exchange order for order {original.number} ({reference}), at no "
                     "charge.", actor=actor, data={"replaces": original.number})
        record_event(original, OrderEvent.Type.EXCHANGE_CREATED,
                     f"Exchange order {order.number} created for {reference}.", actor=actor,
                     data={"order": order.number})
        transaction.on_commit(partial(order_placed.send, sender=Order, order_id=order.pk))
        return order
