"""Fulfillment background work: shipments for paid orders, labels, emails, capture at
shipment, tracking polls. Thin, idempotent, retried on transient errors."""

from __future__ import annotations

import logging
from smtplib import SMTPException

from celery import shared_task
from django.db.models import Exists, F, OuterRef, Q, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from kernel.errors import InvalidTransition, ShopError
from orders.models import Allocation, Order
from payments import services as payment_services
from payments.exceptions import GatewayUnavailable

from . import services
from .carriers import CarrierError, get_carrier
from .models import LabelPurchase, Shipment, ShipmentLine, ShipmentNotification
from .notifications import send_shipment_email, send_status_email

logger = logging.getLogger(__name__)


@shared_task(acks_late=True)
def create_shipments(order_id: int) -> int:
    return len(services.create_shipments(order_id=order_id))


@shared_task(acks_late=True, autoretry_for=(CarrierError, OSError), retry_backoff=True,
             max_retries=8)
def purchase_label(shipment_id: int) -> str:
    """Buy the shipment's label. An order canceled or with a cancel requested (the cancel
    won the race with this queued task) needs no label: the task logs it and exits, rather
    than failing with the service's InvalidTransition (which a person would read)."""
    shipment = Shipment.objects.select_related("order").filter(pk=shipment_id).first()
    if shipment is None:
        logger.info("No label bought: shipment %s no longer exists.", shipment_id)
        return ""
    if _order_stopped(shipment.order):
        return _no_label_for_stopped(shipment)
    try:
        return services.purchase_label(shipment_id=shipment_id).state
    except InvalidTransition:
        # The cancel or hold came between the read above and the service's lock (or, for
        # a cancel, during the carrier call: the label bought then is given back by
        # void_label).
        shipment = Shipment.objects.select_related("order").get(pk=shipment_id)
        if _order_stopped(shipment.order):
            return _no_label_for_stopped(shipment)
        raise


def _order_stopped(order: Order) -> bool:
    """Canceled, being canceled, or held for review: no label now (a held order's packed
    parcel gets its label from the sweep once it is released)."""
    return order.status == Order.Status.CANCELED or order.cancel_requested or order.is_held


def _no_label_for_stopped(shipment: Shipment) -> str:
    order = shipment.order
    logger.info("No label bought for shipment %s: order %s is %s.", shipment.number,
                order.number, "canceled" if order.status == Order.Status.CANCELED else
                "being canceled" if order.cancel_requested else "held for review")
    return shipment.state


@shared_task(acks_late=True, autoretry_for=(CarrierError, OSError), retry_backoff=True,
             max_retries=8)
def void_label(shipment_id: int) -> bool:
    return services.void_label(shipment_id=shipment_id)


@shared_task(acks_late=True, autoretry_for=(SMTPException, OSError), retry_backoff=True,
             max_retries=5)
def send_shipment_notification(shipment_id: int, kind: str) -> bool:
    return send_shipment_email(shipment_id=shipment_id, kind=kind)


@shared_task(acks_late=True, autoretry_for=(SMTPException, OSError), retry_backoff=True,
             max_retries=5)
def send_shipment_status_email(shipment_id: int, status: str) -> bool:
    return send_status_email(shipment_id=shipment_id, status=status)


@shared_task(acks_late=True, autoretry_for=(GatewayUnavailable,), retry_backoff=True,
             max_retries=8)
def capture_at_shipment(order_id: int) -> bool:
    """Manual-capture orders are charged when their first parcel leaves."""
    return payment_services.capture_at_shipment(order_id=order_id) is not None


@shared_task(acks_late=True)
def cancel_open_shipments(order_id: int) -> int:
    canceled = 0
    for shipment in Shipment.objects.filter(order_id=order_id, state__in=Shipment.UNSHIPPED):
        try:
            services.cancel_shipment(shipment_id=shipment.pk)
            canceled += 1
        except ShopError as error:
            logger.info("Shipment %s not canceled: %s", shipment.number, error.message)
    return canceled


@shared_task(acks_late=True)
def poll_tracking() -> int:
    """Beat: ask carriers that have trackers (EasyPost) for news on open shipments."""
    updated = 0
    open_shipments = Shipment.objects.filter(
        state__in=[Shipment.State.SHIPPED, Shipment.State.IN_TRANSIT,
                   Shipment.State.OUT_FOR_DELIVERY, Shipment.State.EXCEPTION],
    ).exclude(carrier__in=[Shipment.Carrier.LOCAL, Shipment.Carrier.PICKUP])[:500]
    for shipment in open_shipments:
        try:
            updates = get_carrier(shipment.carrier).track(
                tracking_number=shipment.tracking_number)
        except CarrierError as error:
            logger.warning("Tracking %s failed: %s", shipment.number, error)
            continue
        for update in updates:
            updated += services.record_tracking(shipment_id=shipment.pk, update=update)
    return updated


@shared_task(acks_late=True)
def notify_delayed_shipments() -> int:
    """Beat: one "running late" email per shipment past its promised ship date that has not
    left. A shipment waiting for pickup (packed) is with the shopper's choice of day, not
    late. Shipments whose email went out are skipped; the email itself is sent once per
    shipment even if this runs twice before the first send."""
    now = timezone.now()
    delayed = list(Shipment.objects.filter(
        state__in=Shipment.UNSHIPPED, promised_ship_by__lt=now, order__status=Order.Status.OPEN,
    ).exclude(carrier=Shipment.Carrier.PICKUP, state=Shipment.State.PACKED).exclude(
        Exists(ShipmentNotification.objects.filter(
            shipment=OuterRef("pk"), kind=ShipmentNotification.Kind.DELAYED,
            sent_at__isnull=False))).order_by("promised_ship_by", "pk")
        .values_list("pk", flat=True)[:500])
    for shipment_id in delayed:
        send_shipment_notification.delay(shipment_id, ShipmentNotification.Kind.DELAYED)
    return len(delayed)


@shared_task(acks_late=True)
def sweep_fulfillment_work() -> dict[str, int]:
    """Beat: shipments for paid orders (``Order.SHIPPABLE_PAYMENT``: partly refunded ones too) with
    allocated units no live shipment covers (a lost task, every shipment of the order
    canceled, a hold released), labels for packed parcels that have none (a lost task, a
    worker killed mid-purchase, a hold released); nothing for an order held for review."""
    in_live_shipments = (ShipmentLine.objects.filter(
        order_line_id=OuterRef("order_line_id"), stock_level_id=OuterRef("stock_level_id"),
        shipment__state__in=Shipment.UNSHIPPED).order_by().values("order_line_id")
        .annotate(total=Sum("quantity")).values("total"))
    uncovered = Allocation.objects.filter(order_line__order=OuterRef("pk")).annotate(
        covered=Coalesce(Subquery(in_live_shipments), 0)).filter(quantity__gt=F("covered"))
    needing = list(Order.objects.filter(
        status=Order.Status.OPEN, payment_status__in=Order.SHIPPABLE_PAYMENT,
    ).exclude(risk=Order.Risk.HELD).filter(Exists(uncovered)).values_list("pk", flat=True)[:200])
    for order_id in needing:
        create_shipments.delay(order_id)
    unlabeled = list(Shipment.objects.filter(state=Shipment.State.PACKED).exclude(
        carrier=Shipment.Carrier.PICKUP).exclude(order__risk=Order.Risk.HELD).filter(
        Q(label_purchase__isnull=True)
        | ~Q(label_purchase__outcome=LabelPurchase.Outcome.SUCCEEDED))
        .values_list("pk", flat=True)[:200])
    for shipment_id in unlabeled:
        purchase_label.delay(shipment_id)
    return {"shipments": len(needing), "labels": len(unlabeled)}
