"""The nightly rebuild of ``CustomerSegment`` from the orders."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.db.models.functions import Lower
from django.utils import timezone

from ..models import CustomerSegment
from ..rfm import Rules
from ..selectors import counted_orders, customer_totals

BATCH = 2000
UPDATED = ["user", "first_order_at", "last_order_at", "recency_days", "frequency", "monetary",
           "currency", "r_score", "f_score", "m_score", "segment", "refreshed_at"]


def refresh_customer_segments(*, now: datetime | None = None) -> int:
    """Recompute every customer's RFM scores and segment; returns how many customers.

    One grouped query reads the orders (``selectors.customer_totals``, streamed), rows are
    upserted by email in batches, and customers with no counted order any more (refunded,
    or erased) are deleted, all in one transaction, so the admin list never shows a half
    refresh. Safe to run twice or concurrently (the second waits on the upserted rows and
    writes the same values).
    """
    now = now or timezone.now()
    rules = Rules.from_settings()
    count = 0
    with transaction.atomic():
        batch: list[CustomerSegment] = []
        for row in customer_totals().iterator(chunk_size=BATCH):
            batch.append(_segment_row(row, rules=rules, now=now))
            if len(batch) >= BATCH:
                count += _upsert(batch)
                batch = []
        count += _upsert(batch)
        # Gone from the orders (refunded, erased): one DELETE ... NOT IN (SELECT ...).
        CustomerSegment.objects.exclude(
            email__in=counted_orders().annotate(customer=Lower("email")).values("customer"),
        ).delete()
    return count


def _segment_row(row: dict, *, rules: Rules, now: datetime) -> CustomerSegment:
    recency = max((now - row["last_order_at"]).days, 0)
    first_days = max((now - row["first_order_at"]).days, 0)
    monetary = max((row["gross"] or Decimal("0")) - (row["refunded"] or Decimal("0")),
                   Decimal("0"))
    r, f = rules.recency_score(recency), rules.frequency_score(row["frequency"])
    m = rules.monetary_score(monetary)
    return CustomerSegment(
        email=row["customer"], user_id=row["user_id"], first_order_at=row["first_order_at"],
        last_order_at=row["last_order_at"], recency_days=recency, frequency=row["frequency"],
        monetary=monetary, currency=settings.SHOP_CURRENCY, r_score=r, f_score=f, m_score=m,
        segment=rules.segment(r=r, f=f, m=m, recency_days=recency, first_order_days=first_days,
                              frequency=row["frequency"]),
        refreshed_at=now)


def _upsert(rows: list[CustomerSegment]) -> int:
    if rows:
        CustomerSegment.objects.bulk_create(rows, update_conflicts=True,
                                            unique_fields=["email"], update_fields=UPDATED)
    return len(rows)
