"""Dashboard tasks: thin, idempotent (each recomputes from the source), acks_late."""

from __future__ import annotations

import datetime as dt

from celery import shared_task
from django.conf import settings
from django.db import OperationalError

from kernel.enqueue import enqueue

from . import marketing_rollups, refresh_queue, rollups, tracking


@shared_task(acks_late=True, autoretry_for=(OperationalError,), retry_backoff=True,
             max_retries=5)
def refresh_order_kpis(order_id: int | None = None, *, shipment_id: int | None = None,
                       return_id: int | None = None) -> int:
    """Recompute the dashboards' rows for one order now (or the order of a shipment or a
    return). Returns the days recomputed."""
    order_id = order_id or refresh_queue.order_of(shipment_id=shipment_id, return_id=return_id)
    return len(rollups.refresh_order(order_id=order_id)) if order_id else 0


@shared_task(acks_late=True, autoretry_for=(OperationalError,), retry_backoff=True,
             max_retries=5)
def queue_order_kpis(order_id: int | None = None, *, shipment_id: int | None = None,
                     return_id: int | None = None) -> int:
    """After an event on an order (or on one of its shipments or returns): queue the order
    for the dashboards and ask for a flush in SHOP_KPI_REFRESH_DELAY seconds, which
    refreshes every order queued by then together. Returns 1 when an order was queued."""
    order_id = order_id or refresh_queue.order_of(shipment_id=shipment_id, return_id=return_id)
    if not order_id:
        return 0
    refresh_queue.queue_refresh(order_id=order_id)
    enqueue(flush_kpi_refreshes, countdown=settings.SHOP_KPI_REFRESH_DELAY)
    return 1


@shared_task(acks_late=True, autoretry_for=(OperationalError,), retry_backoff=True,
             max_retries=5)
def flush_kpi_refreshes() -> int:
    """Refresh every queued order together (in batches; the next batch is queued at once).
    Also on beat, so a lost flush costs a minute at most. Returns how many were refreshed."""
    refreshed, more = refresh_queue.flush_queue()
    if more:
        enqueue(flush_kpi_refreshes)
    return refreshed


@shared_task(acks_late=True, autoretry_for=(OperationalError,), retry_backoff=True,
             max_retries=5)
def refresh_cart_reminder_days(days: list[str]) -> int:
    """Recompute the cart-reminder counts of these local days (ISO dates): after a reminder
    was sent or deleted."""
    marketing_rollups.refresh_reminder_days([dt.date.fromisoformat(day) for day in days])
    return len(days)


@shared_task(acks_late=True)
def rebuild_kpi_rollups() -> int:
    """Nightly: rebuild every roll-up from the source and record what differed."""
    return rollups.rebuild_rollups().rows_differing


@shared_task(acks_late=True)
def flush_funnel_counts() -> int:
    """Every few minutes: write the cache's funnel counters to DailyFunnel."""
    return tracking.flush_funnel_counts()
