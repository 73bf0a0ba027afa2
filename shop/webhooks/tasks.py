"""Webhook background work. Thin: load ids, call one service; idempotent; acks_late; retried
with backoff on transient database or mail errors. (Failed HTTP calls are not task errors:
the service records them and schedules the next try itself.)"""

from __future__ import annotations

import logging
from smtplib import SMTPException

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.db import OperationalError
from django.utils.dateparse import parse_datetime

from . import services
from .models import WebhookEndpoint

logger = logging.getLogger(__name__)
RETRY = {"acks_late": True, "autoretry_for": (OperationalError,), "retry_backoff": True,
         "max_retries": 5}


@shared_task(**RETRY)
def emit_order_event(event_type: str, order_id: int, occurred_at: str) -> bool:
    return services.emit_order_event(event_type=event_type, order_id=order_id,
                                     occurred_at=parse_datetime(occurred_at)) is not None


@shared_task(**RETRY)
def emit_shipment_event(event_type: str, shipment_id: int, occurred_at: str) -> bool:
    return services.emit_shipment_event(event_type=event_type, shipment_id=shipment_id,
                                        occurred_at=parse_datetime(occurred_at)) is not None


@shared_task(**RETRY)
def emit_return_event(event_type: str, return_id: int, occurred_at: str) -> bool:
    return services.emit_return_event(event_type=event_type, return_id=return_id,
                                      occurred_at=parse_datetime(occurred_at)) is not None


@shared_task(**RETRY)
def check_low_stock(stock_level_id: int) -> bool:
    return services.check_low_stock(stock_level_id=stock_level_id) is not None


LOW_STOCK_CHUNK = 1000  # stock levels per task of a bulk change


@shared_task(**RETRY)
def check_low_stock_levels(stock_level_ids: list[int]) -> int:
    """``check_low_stock`` for each level of a bulk change; safe to run twice as it is."""
    return sum(services.check_low_stock(stock_level_id=pk) is not None
               for pk in stock_level_ids)


@shared_task(**RETRY)
def deliver_webhook(delivery_id: int) -> str:
    return services.send_delivery(delivery_id=delivery_id)


@shared_task(acks_late=True)
def sweep_webhook_deliveries() -> int:
    """Beat, every minute: queue deliveries that are due (retries whose time has come, and
    any whose task was lost to a broker outage or a crashed worker)."""
    return services.sweep_due_deliveries()


@shared_task(acks_late=True, autoretry_for=(SMTPException, OSError), retry_backoff=True,
             max_retries=5)
def notify_endpoint_disabled(endpoint_id: int) -> bool:
    endpoint = WebhookEndpoint.objects.filter(pk=endpoint_id, is_active=False).first()
    if endpoint is None:
        return False
    send_mail(
        subject=f"{settings.SHOP_NAME}: webhook endpoint “{endpoint.name}” was disabled",
        message=(f"Deliveries to {endpoint.url} have failed for "
                 f"{settings.SHOP_WEBHOOK_DISABLE_AFTER_HOURS} hours, so the shop stopped "
                 f"sending to it.\n\nReason: {endpoint.disabled_reason}\n\nFix the receiver, "
                 f"then enable the endpoint again in admin (Webhooks > Webhook endpoints); "
                 f"pending deliveries will be sent then, and failed ones can be redelivered "
                 f"from the delivery log.\n"),
        from_email=None, recipient_list=[endpoint.contact_email])
    return True
