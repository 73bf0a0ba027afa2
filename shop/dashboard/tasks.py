"""Dashboard tasks: thin, idempotent (each recomputes from the source), acks_late."""

from __future__ import annotations

import datetime as dt

from celery import shared_task
from django.db import OperationalError

from . import marketing_rollups, rollups, tracking


@shared_task(acks_late=True, autoretry_for=(OperationalError,), retry_backoff=True,
             max_retries=5)
def refresh_order_kpis(order_id: int | None = None, *, shipment_id: int | None = None,
                       return_id: int | None = None) -> int:
    """Recompute the dashboards' rows for one order (after any event on it, or on one of
    its shipments or returns)."""
    order_id = order_id or rollups.order_of(shipment_id=shipment_id, return_id=return_id)
    return len(rollups.refresh_order(order_id=order_id)) if order_id else 0


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
