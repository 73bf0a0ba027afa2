"""What every panel is made of (KPIs, tables, charts) and the small calculations they share."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.contrib.postgres.fields import ArrayField
from django.db import connection
from django.db.models import (
    Aggregate,
    Count,
    DurationField,
    Q,
)

from kernel.money import Money

from ..definitions import DEFINITIONS
from ..periods import Period

ZERO = Decimal("0")
HUNDRED = Decimal("100")
TOP = 10
# Which way each figure should move for the shop ("up" unless listed): a rise in refunds,
# returns, late shipments or waiting times is bad; tax and shipping are neither.
GOOD_WHEN = {
    "refunds": "down", "tax_refunds": "down", "shipping_refunds": "down", "discounts": "",
    "tax": "", "shipping": "",
    "lead_time_median": "down", "lead_time_p90": "down", "delivery_time_median": "down",
    "late_shipments": "down", "shipments": "up",
    "return_rate": "down", "units_returned": "down", "return_refunds": "down",
    "time_to_refund": "down",
    "low_stock": "down", "out_of_stock": "down",
}



def percent(part, whole) -> Decimal | None:
    """part / whole as a percentage with two decimals (None when whole is 0)."""
    if not whole:
        return None
    return (Decimal(part) * HUNDRED / Decimal(whole)).quantize(Decimal("0.01"), ROUND_HALF_UP)


def ratio(part, whole, places: str = "0.01") -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part) / Decimal(whole)).quantize(Decimal(places), ROUND_HALF_UP)


def money_ratio(amount: Decimal, count: int, currency: str) -> Money | None:
    return Money(Decimal(amount) / count, currency) if count else None


@dataclass
class Kpi:
    key: str
    label: str
    kind: str  # money, count, percent, number, duration
    value: object
    previous: object = None
    compare: bool = True

    @property
    def definition(self) -> str:
        return DEFINITIONS[self.key]

    @property
    def good_when(self) -> str:
        """"up", "down" or "" (neither): which way a change is good for the shop."""
        return GOOD_WHEN.get(self.key, "up")

    @property
    def verdict(self) -> str:
        """"good", "bad" or "neutral" for the change since the previous period."""
        delta = self.delta
        if delta is None:
            return "neutral"
        amount = delta.amount if isinstance(delta, Money) else delta
        zero = dt.timedelta(0) if isinstance(amount, dt.timedelta) else 0
        if amount == zero or not self.good_when:
            return "neutral"
        return "good" if (amount > zero) == (self.good_when == "up") else "bad"

    @property
    def delta(self):
        if not self.compare or self.value is None or self.previous is None:
            return None
        return self.value - self.previous

    @property
    def delta_percent(self) -> Decimal | None:
        delta = self.delta
        if delta is None:
            return None
        base = self.previous.amount if self.kind == "money" else self.previous
        change = delta.amount if self.kind == "money" else delta
        if isinstance(base, dt.timedelta):
            base, change = base.total_seconds(), change.total_seconds()
        if not base:
            return None
        return (Decimal(change) * HUNDRED / abs(Decimal(base))).quantize(Decimal("0.1"),
                                                                         ROUND_HALF_UP)


@dataclass
class Table:
    key: str
    title: str
    columns: list[str]
    rows: list[list]
    definition_key: str = ""
    empty: str = "Nothing in this period."
    # Paged and sortable on the page (``<key>_page``, ``<key>_sort`` = column index, "-" for
    # descending); the CSV always has every row.
    page_size: int = 0  # 0: one page
    sortable: bool = False
    page: int = 1
    sort_column: int | None = None
    sort_descending: bool = False

    @property
    def pages(self) -> int:
        if not self.page_size:
            return 1
        return max(1, -(-len(self.rows) // self.page_size))

    @property
    def page_rows(self) -> list[list]:
        rows = self.rows
        if self.sort_column is not None:
            column = self.sort_column
            present = [row for row in rows if row[column] is not None]
            rows = sorted(present, key=lambda row: _sort_key(row[column]),
                          reverse=self.sort_descending)
            rows += [row for row in self.rows if row[column] is None]  # blanks last
        if not self.page_size:
            return rows
        start = (self.page - 1) * self.page_size
        return rows[start:start + self.page_size]

    def arrange(self, params) -> None:
        """Read this table's page and sort from the query string (bad values ignored)."""
        self.sort_column, self.sort_descending = None, False
        sort = str(params.get(f"{self.key}_sort", ""))
        if self.sortable and sort.lstrip("-").isdigit() and int(sort.lstrip("-")) < len(
                self.columns):
            self.sort_column, self.sort_descending = int(sort.lstrip("-")), sort.startswith("-")
        page = str(params.get(f"{self.key}_page", ""))
        self.page = min(int(page), self.pages) if page.isdigit() and int(page) > 0 else 1


def _sort_key(value):
    if isinstance(value, Money):
        return value.amount
    if isinstance(value, str):
        return value.casefold()
    return value


@dataclass
class Chart:
    key: str
    title: str
    kind: str  # bars (vertical, by day/week), hbars (horizontal, categories)
    x_label: str
    y_label: str
    points: list[tuple[str, Decimal | int]]
    unit: str = ""  # "money", "percent" or ""
    table: str = ""  # the table with the same figures

    @property
    def alt(self) -> str:
        if not self.points:
            return f"{self.title}: no data in this period."
        top = max(self.points, key=lambda point: point[1])
        return (f"{self.title}: {len(self.points)} {self.x_label.lower()} values; highest "
                f"{top[1]} at {top[0]}.")


@dataclass
class Panel:
    key: str
    title: str
    period: Period
    currency: str
    kpis: list[Kpi] = field(default_factory=list)
    charts: list[Chart] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # flagged problems, shown above the cards
    tables_first: bool = False  # the tables need action: put them above the charts

    def table(self, key: str) -> Table:
        return next(table for table in self.tables + [chart_table(c) for c in self.charts]
                    if table.key == key)


def chart_table(chart: Chart) -> Table:
    return Table(key=chart.key, title=chart.title, columns=[chart.x_label, chart.y_label],
                 rows=[[label, value] for label, value in chart.points])


def period_range(period: Period) -> tuple[dt.date, dt.date]:
    return period.previous.start, period.end


def in_period(period: Period, field_name: str = "day") -> Q:
    return Q(**{f"{field_name}__gte": period.start, f"{field_name}__lte": period.end})


class PercentilesDisc(Aggregate):
    """PostgreSQL's nearest-rank percentiles (real values from the set), several from one
    sort: ``percentile_disc(ARRAY[0.5, 0.9])`` gives an array, one value per fraction."""

    function = "PERCENTILE_DISC"
    template = ("%(function)s(ARRAY[%(fractions)s]::double precision[]) "
                "WITHIN GROUP (ORDER BY %(expressions)s)")

    def __init__(self, expression, fractions: tuple[float, ...], output_field, **extra):
        super().__init__(expression, fractions=", ".join(str(f) for f in fractions),
                         output_field=ArrayField(output_field), **extra)


def nearest_rank(values: list, fraction: float):
    """The same percentile in Python (SQLite has none)."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, -(-int(fraction * 1000) * len(ordered) // 1000))  # ceil(fraction * n)
    return ordered[rank - 1]


def time_summary(queryset, *, day: str, time: str, yes: str, period: Period) -> dict:
    """For the period and the one before: how many rows have ``yes`` known (``count``), how
    many have it true (``yes``), and the median and p90 of ``time``. One query: PostgreSQL
    aggregates with percentiles; other databases get the rows and rank them in Python."""
    flags = {"now": in_period(period, day), "before": in_period(period.previous, day)}
    if connection.vendor == "postgresql":
        aggregates = {}
        for name, condition in flags.items():
            aggregates[f"{name}_count"] = Count(yes, filter=condition)
            aggregates[f"{name}_yes"] = Count("pk", filter=condition & Q(**{yes: True}))
            # A negative time (shipped before paid, say) is a recording error: counted
            # as "negative" so the page can flag it, and left out of the percentiles.
            timed = condition & Q(**{f"{time}__gte": dt.timedelta(0)})
            aggregates[f"{name}_negative"] = Count(
                "pk", filter=condition & Q(**{f"{time}__lt": dt.timedelta(0)}))
            # Median and p90 from one sort of the period's rows, not two.
            aggregates[f"{name}_percentiles"] = PercentilesDisc(
                time, (0.5, 0.9), DurationField(), filter=timed)
        found = queryset.aggregate(**aggregates)
        for name in flags:
            found[f"{name}_median"], found[f"{name}_p90"] = (
                found[f"{name}_percentiles"] or [None, None])
        return {name: {"count": found[f"{name}_count"], "yes": found[f"{name}_yes"],
                       "median": as_duration(found[f"{name}_median"]),
                       "p90": as_duration(found[f"{name}_p90"]),
                       "negative": found[f"{name}_negative"]} for name in flags}
    rows = list(queryset.values_list(day, time, yes))
    out = {}
    for name, p in (("now", period), ("before", period.previous)):
        picked = [row for row in rows if row[0] is not None and p.start <= row[0] <= p.end]
        every = [as_duration(row[1]) for row in picked if row[1] is not None]
        times = [value for value in every if value >= dt.timedelta(0)]
        out[name] = {"count": sum(1 for row in picked if row[2] is not None),
                     "yes": sum(1 for row in picked if row[2]),
                     "median": nearest_rank(times, 0.5), "p90": nearest_rank(times, 0.9),
                     "negative": len(every) - len(times)}
    return out


def as_duration(value) -> dt.timedelta | None:
    if value is None or isinstance(value, dt.timedelta):
        return value
    return dt.timedelta(microseconds=int(value))
