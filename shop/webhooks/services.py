"""Emitting events and delivering them. Every write is here, each in its own transaction.

The HTTP call is never made inside a transaction: ``send_delivery`` claims the delivery and
writes an attempt row (commit), POSTs outside any transaction, then records the answer in
a new short transaction.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import timezone

from fulfillment.models import Shipment
from inventory.models import StockLevel
from kernel import outbound
from kernel.errors import NotFound, ShopError
from orders.models import Order
from returns.models import ReturnRequest

from . import payloads, signals, signing
from .models import (
    EventType,
    LowStockMark,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
)

logger = logging.getLogger(__name__)
State = WebhookDelivery.State


class WebhookError(ShopError):
    code = "webhook_invalid"


# --- Emitting -------------------------------------------------------------------------------

def _schedule_delivery(delivery_id: int, *, countdown: float | None = None) -> None:
    """Say a delivery is due (its receiver queues the task). Should the task be lost, the
    row stays due and the beat sweep sends it."""
    signals.delivery_scheduled.send(sender=WebhookDelivery, delivery_id=delivery_id,
                                    countdown=countdown)


def emit_event(*, event_type: str, data: dict, occurred_at: datetime, ordering_key: str = "",
               source_key: str | None = None) -> WebhookEvent | None:
    """Store an event and one pending delivery per active endpoint that wants it, and queue
    the deliveries after commit.

    Guarantees: with a ``source_key`` the same happening is stored once however often this
    runs (a task run twice). No subscribed endpoint: nothing is stored, None is returned.
    """
    endpoints = [e for e in WebhookEndpoint.objects.filter(is_active=True)
                 if e.wants(event_type)]
    if not endpoints:
        return None
    try:
        with transaction.atomic():
            event = WebhookEvent.objects.create(
                type=event_type, data=data, occurred_at=occurred_at,
                ordering_key=ordering_key, source_key=source_key)
            now = timezone.now()
            deliveries = WebhookDelivery.objects.bulk_create([
                WebhookDelivery(endpoint=endpoint, event=event, ordering_key=ordering_key,
                                occurred_at=occurred_at, window_started_at=now,
                                next_attempt_at=now)
                for endpoint in endpoints])
            for delivery in deliveries:
                transaction.on_commit(partial(_schedule_delivery, delivery.pk))
    except IntegrityError:
        if source_key and WebhookEvent.objects.filter(source_key=source_key).exists():
            return WebhookEvent.objects.get(source_key=source_key)  # emitted already
        raise
    return event


def _order_key(order_id: int) -> str:
    return f"order:{order_id}"


def emit_order_event(*, event_type: str, order_id: int, occurred_at: datetime):
    order = (Order.objects.select_related("shipping_address").filter(pk=order_id).first())
    if order is None:
        return None
    return emit_event(event_type=event_type, data=payloads.order_data(order),
                      occurred_at=occurred_at, ordering_key=_order_key(order.pk),
                      source_key=f"{event_type}:order:{order.pk}")


def emit_shipment_event(*, event_type: str, shipment_id: int, occurred_at: datetime):
    shipment = (Shipment.objects.select_related("order", "warehouse")
                .filter(pk=shipment_id).first())
    if shipment is None:
        return None
    return emit_event(event_type=event_type, data=payloads.shipment_data(shipment),
                      occurred_at=occurred_at, ordering_key=_order_key(shipment.order_id),
                      source_key=f"{event_type}:shipment:{shipment.pk}")


def emit_return_event(*, event_type: str, return_id: int, occurred_at: datetime):
    return_request = ReturnRequest.objects.select_related("order").filter(pk=return_id).first()
    if return_request is None:
        return None
    return emit_event(event_type=event_type, data=payloads.return_data(return_request),
                      occurred_at=occurred_at, ordering_key=_order_key(return_request.order_id),
                      source_key=f"{event_type}:return:{return_request.pk}")


def check_low_stock(*, stock_level_id: int) -> WebhookEvent | None:
    """Emit stock.low once when a stock level's available units are at or below
    ``SHOP_LOW_STOCK_THRESHOLD``; once they rise above it the mark goes, so the next drop
    is reported again. Safe to run any number of times."""
    threshold = settings.SHOP_LOW_STOCK_THRESHOLD
    level = (StockLevel.objects.select_related("variant", "warehouse")
             .filter(pk=stock_level_id).first())
    if level is None:
        return None
    if level.available > threshold:
        LowStockMark.objects.filter(stock_level=level).delete()
        return None
    with transaction.atomic():
        _, created = LowStockMark.objects.get_or_create(stock_level=level)
        if not created:
            return None
        return emit_event(event_type=EventType.STOCK_LOW,
                          data=payloads.stock_data(level, threshold=threshold),
                          occurred_at=timezone.now(), ordering_key=f"stock:{level.pk}")


# --- Delivering -----------------------------------------------------------------------------

def event_body(event: WebhookEvent) -> bytes:
    """The exact bytes POSTed for an event: the same on every attempt and redelivery."""
    return json.dumps({"id": str(event.event_id), "type": event.type,
                       "created_at": event.occurred_at.isoformat(), "data": event.data},
                      sort_keys=True, separators=(",", ":")).encode()


def backoff(attempt: int) -> timedelta:
    """Wait before retry ``attempt`` + 1: base * 2^(attempt - 1), capped."""
    seconds = settings.SHOP_WEBHOOK_BACKOFF_SECONDS * 2 ** max(attempt - 1, 0)
    return timedelta(seconds=min(seconds, settings.SHOP_WEBHOOK_MAX_BACKOFF_SECONDS))


def _earlier_unfinished(delivery: WebhookDelivery):
    """Deliveries of the same chain (endpoint and order) that happened before this one and
    are still pending: this one waits for them."""
    if not delivery.ordering_key:
        return WebhookDelivery.objects.none()
    return (WebhookDelivery.objects
            .filter(endpoint_id=delivery.endpoint_id, ordering_key=delivery.ordering_key,
                    state=State.PENDING)
            .filter(Q(occurred_at__lt=delivery.occurred_at)
                    | Q(occurred_at=delivery.occurred_at, pk__lt=delivery.pk)))


@dataclass(frozen=True)
class _Request:
    attempt_id: int
    url: str
    body: bytes
    headers: dict


def _claim(delivery_id: int, now: datetime) -> _Request | str:
    timeout = settings.SHOP_WEBHOOK_TIMEOUT_SECONDS
    with transaction.atomic():
        delivery = (WebhookDelivery.objects.select_for_update(of=("self",))
                    .select_related("endpoint", "event").filter(pk=delivery_id).first())
        if delivery is None or delivery.state != State.PENDING:
            return "finished"
        if not delivery.endpoint.is_active:
            return "endpoint disabled"
        if delivery.next_attempt_at > now:
            return "not due"
        if delivery.claimed_until and delivery.claimed_until > now:
            return "in flight"
        if _earlier_unfinished(delivery).exists():
            return "waiting for an earlier event"
        delivery.attempts += 1
        delivery.window_attempts += 1
        delivery.claimed_until = now + timedelta(seconds=timeout * 2 + 30)
        delivery.save(update_fields=["attempts", "window_attempts", "claimed_until"])
        attempt = WebhookAttempt.objects.create(
            delivery=delivery, number=delivery.attempts, started_at=now,
            manual=delivery.window_attempts == 1 and delivery.attempts > 1)
        event, endpoint = delivery.event, delivery.endpoint
        body = event_body(event)
        headers = signing.signed_headers(secret=endpoint.secret, event_id=str(event.event_id),
                                         event_type=event.type, body=body)
        return _Request(attempt_id=attempt.pk, url=endpoint.url, body=body, headers=headers)


# What is read of a receiver's answer, and what of it is kept for the delivery log.
RESPONSE_READ_BYTES = 4096
EXCERPT_CHARS = 200
REDIRECT_NOT_FOLLOWED = "redirects are not followed"


def check_endpoint_url(*, url: str) -> str:
    """Refuse an endpoint URL the shop won't send to (raises ``outbound.UnsafeURL``, a
    ``ShopError`` with a message for the merchant): not http(s), a user:password part, or a
    host that is or resolves to a loopback, private, link-local, multicast or reserved
    address, unless it is named in ``SHOP_WEBHOOK_ALLOWED_PRIVATE_HOSTS``. Deliveries check
    again when they are sent (DNS answers change)."""
    outbound.check_url(url, allowed_private_hosts=settings.SHOP_WEBHOOK_ALLOWED_PRIVATE_HOSTS)
    return url


def _post(request: _Request) -> tuple[int | None, str, str]:
    """(status code, response excerpt, error). The address is checked and pinned by
    ``kernel.outbound``; redirects are not followed (a receiver answers where it was
    registered). What is kept is the status and a short sanitised excerpt; every failure to
    get an answer reads the same "could not connect", so the log can't serve as a port
    scanner (the real reason goes to the server log)."""
    try:
        reply = outbound.send(request.url, body=request.body, headers=request.headers,
                              timeout=settings.SHOP_WEBHOOK_TIMEOUT_SECONDS,
                              max_bytes=RESPONSE_READ_BYTES,
                              allowed_private_hosts=settings.SHOP_WEBHOOK_ALLOWED_PRIVATE_HOSTS)
    except outbound.CouldNotConnect:
        return None, "", outbound.COULD_NOT_CONNECT
    text = outbound.excerpt(reply.body, length=EXCERPT_CHARS)
    if 300 <= reply.status_code < 400:
        return reply.status_code, text, f"HTTP {reply.status_code}: {REDIRECT_NOT_FOLLOWED}"
    return reply.status_code, text, ""


def send_delivery(*, delivery_id: int) -> str:
    """Send one delivery if it is due and nothing earlier of its order is still pending.

    Preconditions: not inside a transaction (the POST is made outside one).
    Guarantees: at most one worker sends a delivery at a time (the claim); every request
    has an attempt row; a 2xx finishes the delivery, anything else schedules a retry with
    exponential backoff until ``SHOP_WEBHOOK_RETRY_HOURS`` after the first try, then gives
    up. A finished delivery releases the next one of its order. Returns what happened.
    """
    if connection.in_atomic_block:
        raise RuntimeError("Webhooks are never sent inside a database transaction.")
    claimed = _claim(delivery_id, timezone.now())
    if isinstance(claimed, str):
        return claimed
    status_code, excerpt, error = _post(claimed)
    return _record(claimed.attempt_id, status_code=status_code, excerpt=excerpt, error=error)


def _record(attempt_id: int, *, status_code: int | None, excerpt: str, error: str) -> str:
    now = timezone.now()
    succeeded = status_code is not None and 200 <= status_code < 300
    with transaction.atomic():
        attempt = WebhookAttempt.objects.select_related("delivery").get(pk=attempt_id)
        delivery = (WebhookDelivery.objects.select_for_update(of=("self",))
                    .select_related("endpoint").get(pk=attempt.delivery_id))
        attempt.finished_at = now
        attempt.status_code = status_code
        attempt.succeeded = succeeded
        attempt.error = error or ("" if succeeded else f"HTTP {status_code}")
        attempt.response_excerpt = excerpt
        attempt.save()
        delivery.claimed_until = None
        delivery.last_status_code = status_code
        delivery.last_error = attempt.error
        endpoint = delivery.endpoint
        if succeeded:
            delivery.state = State.SUCCEEDED
            delivery.delivered_at = now
            outcome = "delivered"
            if endpoint.failing_since is not None:
                WebhookEndpoint.objects.filter(pk=endpoint.pk).update(failing_since=None)
        else:
            window = timedelta(hours=settings.SHOP_WEBHOOK_RETRY_HOURS)
            wait = backoff(delivery.window_attempts)
            if now + wait > delivery.window_started_at + window:
                delivery.state = State.FAILED
                outcome = "given up"
            else:
                delivery.next_attempt_at = now + wait
                outcome = "retry scheduled"
                transaction.on_commit(partial(_schedule_delivery, delivery.pk,
                                              countdown=wait.total_seconds()))
            _note_failure(endpoint, now)
        delivery.save()
        if delivery.state != State.PENDING:
            transaction.on_commit(partial(release_next, delivery_id=delivery.pk))
    return outcome


def _note_failure(endpoint: WebhookEndpoint, now: datetime) -> None:
    """An endpoint failing without a success for SHOP_WEBHOOK_DISABLE_AFTER_HOURS is
    switched off and its contact emailed (once: only the switch that turns it off)."""
    if endpoint.failing_since is None:
        WebhookEndpoint.objects.filter(pk=endpoint.pk, failing_since__isnull=True).update(
            failing_since=now)
        return
    limit = timedelta(hours=settings.SHOP_WEBHOOK_DISABLE_AFTER_HOURS)
    if now - endpoint.failing_since < limit:
        return
    hours = settings.SHOP_WEBHOOK_DISABLE_AFTER_HOURS
    switched = WebhookEndpoint.objects.filter(pk=endpoint.pk, is_active=True).update(
        is_active=False, disabled_at=now,
        disabled_reason=f"Every delivery failed for {hours} hours.")
    if switched:
        logger.warning("Disabled webhook endpoint %s after %d hours of failures",
                       endpoint.pk, hours)
        transaction.on_commit(partial(signals.endpoint_disabled.send, sender=WebhookEndpoint,
                                      endpoint_id=endpoint.pk))


def release_next(*, delivery_id: int) -> None:
    """Queue the next pending delivery of a finished one's chain (same endpoint, order)."""
    delivery = WebhookDelivery.objects.filter(pk=delivery_id).first()
    if delivery is None or not delivery.ordering_key:
        return
    following = (WebhookDelivery.objects
                 .filter(endpoint_id=delivery.endpoint_id, ordering_key=delivery.ordering_key,
                         state=State.PENDING)
                 .order_by("occurred_at", "pk").values_list("pk", flat=True).first())
    if following is not None:
        _schedule_delivery(following)


def redeliver(*, delivery_id: int) -> WebhookDelivery:
    """Send a delivery again (admin's "Redeliver"): the same event, id and body, with a
    fresh retry window. Refused while it is being sent."""
    now = timezone.now()
    with transaction.atomic():
        delivery = (WebhookDelivery.objects.select_for_update(of=("self",))
                    .filter(pk=delivery_id).first())
        if delivery is None:
            raise NotFound("No such delivery.")
        if delivery.claimed_until and delivery.claimed_until > now:
            raise WebhookError("This delivery is being sent right now; try again shortly.")
        delivery.state = State.PENDING
        delivery.window_started_at = now
        delivery.window_attempts = 0
        delivery.next_attempt_at = now
        delivery.save(update_fields=["state", "window_started_at", "window_attempts",
                                     "next_attempt_at"])
        transaction.on_commit(partial(_schedule_delivery, delivery.pk))
    return delivery


def enable_endpoint(*, endpoint_id: int) -> WebhookEndpoint:
    """Switch an endpoint back on; its pending deliveries go out again (fresh windows)."""
    now = timezone.now()
    with transaction.atomic():
        endpoint = (WebhookEndpoint.objects.select_for_update().filter(pk=endpoint_id).first())
        if endpoint is None:
            raise NotFound("No such endpoint.")
        endpoint.is_active = True
        endpoint.failing_since = None
        endpoint.disabled_at = None
        endpoint.disabled_reason = ""
        endpoint.save()
        pending = WebhookDelivery.objects.filter(endpoint=endpoint, state=State.PENDING)
        pending.update(window_started_at=now, window_attempts=0, next_attempt_at=now)
        transaction.on_commit(partial(sweep_due_deliveries))
    return endpoint


def due_delivery_ids(*, now: datetime | None = None, limit: int = 500) -> list[int]:
    """Pending deliveries whose time has come (and whose claim, if any, ran out), the
    first of each chain first: the beat sweep queues these."""
    now = now or timezone.now()
    return list(WebhookDelivery.objects
                .filter(state=State.PENDING, next_attempt_at__lte=now,
                        endpoint__is_active=True)
                .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lte=now))
                .order_by("occurred_at", "pk").values_list("pk", flat=True)[:limit])


def sweep_due_deliveries() -> int:
    ids = due_delivery_ids()
    for delivery_id in ids:
        _schedule_delivery(delivery_id)
    return len(ids)
