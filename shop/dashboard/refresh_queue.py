"""The dashboards' refresh queue: an event on an order queues the order, and a flush a
moment later refreshes every order queued meanwhile together (``rollups.refresh_orders``).
Recomputing a busy day costs the same for one order as for a hundred, so batching keeps
the work per order flat however many orders a day has; the figures lag by the flush's
delay (``SHOP_KPI_REFRESH_DELAY``), and beat flushes every minute in case a flush is lost.
"""

from __future__ import annotations

from django.db import transaction

from fulfillment.models import Shipment
from returns.models import ReturnRequest

from . import rollups
from .models import KpiRefresh
from .rollup_lock import lock


def order_of(*, shipment_id: int | None = None, return_id: int | None = None) -> int | None:
    """The order of a shipment or a return (None when it is gone)."""
    model, pk = (Shipment, shipment_id) if shipment_id else (ReturnRequest, return_id)
    return model.objects.filter(pk=pk).values_list("order_id", flat=True).first()


def queue_refresh(*, order_id: int) -> None:
    """Note that an order's dashboard rows are due (once: a second event before the flush
    adds nothing)."""
    KpiRefresh.objects.bulk_create([KpiRefresh(order_id=order_id)], ignore_conflicts=True)


def flush_queue(*, limit: int = 500) -> tuple[int, bool]:
    """Refresh up to ``limit`` queued orders together, oldest first, and take them off the
    queue in the same transaction (a failure leaves them queued). Returns how many were
    refreshed and whether more are waiting."""
    with transaction.atomic():
        lock()  # one flush (or rebuild) at a time: what one takes is not taken twice
        ids = list(KpiRefresh.objects.order_by("queued_at", "order_id")
                   .values_list("order_id", flat=True)[:limit])
        if not ids:
            return 0, False
        # Off the queue before the orders are read: an event committed after this read is
        # queued again (its row is new) and refreshed by the next flush.
        KpiRefresh.objects.filter(order_id__in=ids).delete()
        rollups.refresh_orders(order_ids=ids)
        return len(ids), KpiRefresh.objects.exists()
