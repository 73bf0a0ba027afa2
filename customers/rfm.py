"""Recency, frequency and monetary value: the rules, in one place.

What counts (decided for this shop):

- A customer is an email address, lower-cased. Guests and accounts are grouped the same
  way, so a guest who later signs up with the same address stays one customer; the account
  shown is the one on their latest counted order.
- An order counts once it was paid (``paid_at`` set), unless it was fully refunded (it
  then brought nothing) or it is a free replacement for an earlier order (an exchange).
  Only orders in ``SHOP_CURRENCY`` count (the shop sells in one currency).
- Recency: whole days since the latest counted order. Frequency: counted orders.
  Monetary: their totals less what was refunded on their payments.

Scores 1-5 come from thresholds, not quintiles, so a customer's segment does not move
because other customers did; ``SHOP_CUSTOMER_SEGMENTS`` overrides any of them:

- ``recency_days``: ``[30, 90, 180, 365]`` -> within 30 days scores 5, within 90 4,
  within 180 3, within 365 2, older 1.
- ``frequency``: ``[2, 3, 5, 8]`` -> 1 order scores 1, 2 scores 2, 3-4 scores 3, 5-7 4,
  8 or more 5.
- ``monetary``: ``[50, 150, 400, 1000]`` (in the shop's currency), the same way.

Segments, the first rule that matches wins:

1. ``best``: R >= 4, F >= 4 and M >= 4 (``best_min_score``).
2. ``new``: the first counted order is within ``new_days`` (30) and there is only one.
3. ``active``: the latest counted order is within ``active_days`` (90).
4. ``at_risk``: the latest counted order is within ``at_risk_days`` (365).
5. ``lapsed``: everyone else.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings

from .models import Segment

DEFAULTS = {
    "recency_days": [30, 90, 180, 365],
    "frequency": [2, 3, 5, 8],
    "monetary": ["50", "150", "400", "1000"],
    "best_min_score": 4,
    "new_days": 30,
    "active_days": 90,
    "at_risk_days": 365,
}


@dataclass(frozen=True)
class Rules:
    recency_days: tuple[int, ...]
    frequency: tuple[int, ...]
    monetary: tuple[Decimal, ...]
    best_min_score: int
    new_days: int
    active_days: int
    at_risk_days: int

    @classmethod
    def from_settings(cls) -> Rules:
        values = {**DEFAULTS, **getattr(settings, "SHOP_CUSTOMER_SEGMENTS", {})}
        return cls(recency_days=tuple(int(day) for day in values["recency_days"]),
                   frequency=tuple(int(count) for count in values["frequency"]),
                   monetary=tuple(Decimal(str(amount)) for amount in values["monetary"]),
                   best_min_score=int(values["best_min_score"]),
                   new_days=int(values["new_days"]), active_days=int(values["active_days"]),
                   at_risk_days=int(values["at_risk_days"]))

    def recency_score(self, days: int) -> int:
        # Fewer days is better: within the first threshold scores 5.
        for index, limit in enumerate(self.recency_days):
            if days <= limit:
                return 5 - index
        return 1

    def frequency_score(self, orders: int) -> int:
        return min(1 + bisect_right(self.frequency, orders), 5)

    def monetary_score(self, amount: Decimal) -> int:
        return min(1 + bisect_right(self.monetary, amount), 5)

    def segment(self, *, r: int, f: int, m: int, recency_days: int, first_order_days: int,
                frequency: int) -> str:
        floor = self.best_min_score
        if r >= floor and f >= floor and m >= floor:
            return Segment.BEST
        if frequency == 1 and first_order_days <= self.new_days:
            return Segment.NEW
        if recency_days <= self.active_days:
            return Segment.ACTIVE
        if recency_days <= self.at_risk_days:
            return Segment.AT_RISK
        return Segment.LAPSED
