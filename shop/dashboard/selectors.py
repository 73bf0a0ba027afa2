"""The dashboards' reads: one function per panel, each a fixed number of SQL queries
whatever the data size or range (the tests assert the counts).

Each panel returns a ``Panel``: headline KPIs with the previous period beside them, the
chart series, and the tables (each also downloadable as CSV).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.db import connection
from django.db.models import (
    Aggregate,
    BooleanField,
    Count,
    DurationField,
    ExpressionWrapper,
    F,
    Max,
    Q,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from catalog.models import Variant
from fulfillment.models import Shipment
from inventory.selectors import variant_available_expression
from kernel.money import Money
from returns.models import ReturnLine

from .definitions import DEFINITIONS
from .models import (
    CustomerFact,
    DailyFunnel,
    DailyProductSales,
    DailySales,
    ReturnFact,
    ReturnLineFact,
    ShipmentFact,
)
from .periods import Period, day_bounds
from .rollups import counted_orders, customer_key
from .tracking import live_counts

ZERO = Decimal("0")
HUNDRED = Decimal("100")
TOP = 10


# --- Shapes ---------------------------------------------------------------------------------

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

    def table(self, key: str) -> Table:
        return next(table for table in self.tables + [chart_table(c) for c in self.charts]
                    if table.key == key)


def chart_table(chart: Chart) -> Table:
    return Table(key=chart.key, title=chart.title, columns=[chart.x_label, chart.y_label],
                 rows=[[label, value] for label, value in chart.points])


def _range(period: Period) -> tuple[dt.date, dt.date]:
    return period.previous.start, period.end


def _in(period: Period, field_name: str = "day") -> Q:
    return Q(**{f"{field_name}__gte": period.start, f"{field_name}__lte": period.end})


class PercentileDisc(Aggregate):
    """PostgreSQL's nearest-rank percentile: a real value from the set."""

    function = "PERCENTILE_DISC"
    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"

    def __init__(self, expression, fraction: float, **extra):
        super().__init__(expression, fraction=str(fraction), **extra)


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
    flags = {"now": _in(period, day), "before": _in(period.previous, day)}
    if connection.vendor == "postgresql":
        aggregates = {}
        for name, condition in flags.items():
            aggregates[f"{name}_count"] = Count(yes, filter=condition)
            aggregates[f"{name}_yes"] = Count("pk", filter=condition & Q(**{yes: True}))
            timed = condition & Q(**{f"{time}__isnull": False})
            aggregates[f"{name}_median"] = PercentileDisc(time, 0.5, filter=timed)
            aggregates[f"{name}_p90"] = PercentileDisc(time, 0.9, filter=timed)
        found = queryset.aggregate(**aggregates)
        return {name: {"count": found[f"{name}_count"], "yes": found[f"{name}_yes"],
                       "median": _duration(found[f"{name}_median"]),
                       "p90": _duration(found[f"{name}_p90"])} for name in flags}
    rows = list(queryset.values_list(day, time, yes))
    out = {}
    for name, p in (("now", period), ("before", period.previous)):
        picked = [row for row in rows if row[0] is not None and p.start <= row[0] <= p.end]
        times = [_duration(row[1]) for row in picked if row[1] is not None]
        out[name] = {"count": sum(1 for row in picked if row[2] is not None),
                     "yes": sum(1 for row in picked if row[2]),
                     "median": nearest_rank(times, 0.5), "p90": nearest_rank(times, 0.9)}
    return out


def _duration(value) -> dt.timedelta | None:
    if value is None or isinstance(value, dt.timedelta):
        return value
    return dt.timedelta(microseconds=int(value))


# --- Sales ----------------------------------------------------------------------------------

def _sales_totals(rows: list[dict], period: Period) -> dict:
    totals = {name: ZERO for name in ("gross_sales", "discounts", "tax", "shipping", "refunds")}
    totals.update(orders=0, units=0)
    for row in rows:
        if period.start <= row["day"] <= period.end:
            for name in totals:
                totals[name] += row[name]
    return totals


def _sales_kpis(totals: dict, currency: str) -> dict[str, object]:
    net = totals["gross_sales"] - totals["discounts"] - totals["refunds"]
    return {
        "gross_sales": Money(totals["gross_sales"], currency),
        "discounts": Money(totals["discounts"], currency),
        "refunds": Money(totals["refunds"], currency),
        "net_sales": Money(net, currency),
        "tax": Money(totals["tax"], currency),
        "shipping": Money(totals["shipping"], currency),
        "orders": totals["orders"],
        "average_order_value": money_ratio(totals["gross_sales"] - totals["discounts"],
                                           totals["orders"], currency),
        "units_per_order": ratio(totals["units"], totals["orders"]),
    }


SALES_LABELS = [("gross_sales", "Gross sales", "money"), ("discounts", "Discounts", "money"),
                ("refunds", "Refunds", "money"), ("net_sales", "Net sales", "money"),
                ("tax", "Tax", "money"), ("shipping", "Shipping charged", "money"),
                ("orders", "Orders", "count"),
                ("average_order_value", "Average order value", "money"),
                ("units_per_order", "Units per order", "number")]


def bucket_label(day: dt.date, weekly: bool) -> str:
    if weekly:
        return f"Week of {day - dt.timedelta(days=day.weekday()):%Y-%m-%d}"
    return f"{day:%Y-%m-%d}"


def _by_bucket(period: Period, values: dict[dt.date, Decimal]) -> list[tuple[str, Decimal]]:
    """Daily values for ranges up to 62 days, weekly (weeks starting Monday) beyond."""
    weekly = period.days > 62
    points: dict[str, Decimal] = {}
    for day in period.each_day():
        label = bucket_label(day, weekly)
        points[label] = points.get(label, ZERO) + values.get(day, ZERO)
    return list(points.items())


def sales_panel(period: Period, currency: str | None = None) -> Panel:
    """Four queries: the daily roll-up rows of both periods, top products by net sales, top
    products by units, top categories."""
    currency = currency or settings.SHOP_CURRENCY
    first, last = _range(period)
    rows = list(DailySales.objects.filter(currency=currency, day__gte=first, day__lte=last)
                .values("day", "orders", "units", "gross_sales", "discounts", "tax",
                        "shipping", "refunds"))
    now = _sales_kpis(_sales_totals(rows, period), currency)
    before = _sales_kpis(_sales_totals(rows, period.previous), currency)
    panel = Panel("sales", "Sales", period, currency, kpis=[
        Kpi(key, label, kind, now[key], before[key]) for key, label, kind in SALES_LABELS])
    daily_net = {row["day"]: row["gross_sales"] - row["discounts"] - row["refunds"]
                 for row in rows if period.start <= row["day"] <= period.end}
    weekly = period.days > 62
    panel.charts.append(Chart(
        "net_sales_by_day", f"Net sales by {'week' if weekly else 'day'}", "bars",
        "Week" if weekly else "Day", f"Net sales ({currency})", _by_bucket(period, daily_net),
        unit="money"))
    # One pass over the period's rows per product (a few hundred), ranked twice in Python.
    products = list(DailyProductSales.objects.filter(_in(period), currency=currency)
                    .values("product_id")
                    .annotate(net=Sum("net_sales"), units=Sum("units_sold"),
                              name=Coalesce(Max("product__title"), Max("product_name"))))
    by_net = sorted(products, key=lambda row: (-row["net"], row["name"]))[:TOP]
    by_units = sorted(products, key=lambda row: (-row["units"], row["name"]))[:TOP]
    categories = list(
        DailyProductSales.objects.filter(_in(period), currency=currency)
        .values("product__category_id")
        .annotate(name=Coalesce(F("product__category__name"), Value("(deleted product)")),
                  net=Sum("net_sales"), units=Sum("units_sold"))
        .values("product__category_id", "name")
        .annotate(net=Sum("net_sales"), units=Sum("units_sold"))
        .order_by("-net", "name")[:TOP])
    panel.tables += [
        Table("top_products", "Top products by net sales", ["Product", "Net sales", "Units"],
              [[row["name"], Money(row["net"], currency), row["units"]] for row in by_net],
              "product_net_sales"),
        Table("top_products_units", "Top products by units", ["Product", "Units", "Net sales"],
              [[row["name"], row["units"], Money(row["net"], currency)] for row in by_units],
              "product_net_sales"),
        Table("top_categories", "Top categories by net sales",
              ["Category", "Net sales", "Units"],
              [[row["name"], Money(row["net"], currency), row["units"]] for row in categories],
              "product_net_sales"),
    ]
    return panel


# --- Funnel ---------------------------------------------------------------------------------

FUNNEL_STEPS = [("sessions", "Sessions"), ("product_views", "Viewed a product"),
                ("add_to_carts", "Added to cart"), ("checkouts_started", "Started checkout"),
                ("orders", "Ordered")]


def funnel_panel(period: Period, currency: str | None = None) -> Panel:
    """Two queries (the funnel rows and the daily order counts of both periods) and one
    cache read for the counters not yet flushed."""
    currency = currency or settings.SHOP_CURRENCY
    first, last = _range(period)
    stored = {row["day"]: row for row in DailyFunnel.objects.filter(
        day__gte=first, day__lte=last).values("day", "sessions", "product_views",
                                              "add_to_carts", "checkouts_started")}
    live = live_counts([first + dt.timedelta(days=n) for n in range((last - first).days + 1)])
    orders = dict(DailySales.objects.filter(currency=currency, day__gte=first, day__lte=last)
                  .values_list("day", "orders"))

    def totals(p: Period) -> dict[str, int]:
        out = {key: 0 for key, _ in FUNNEL_STEPS}
        for day in p.each_day():
            row, counters = stored.get(day, {}), live.get(day, {})
            for key in ("sessions", "product_views", "add_to_carts", "checkouts_started"):
                out[key] += max(row.get(key, 0), counters.get(key, 0))
            out["orders"] += orders.get(day, 0)
        return out

    now, before = totals(period), totals(period.previous)
    panel = Panel("funnel", "Funnel", period, currency)
    definition = {"orders": "funnel_orders"}
    for key, label in FUNNEL_STEPS:
        panel.kpis.append(Kpi(definition.get(key, key), label, "count", now[key], before[key]))
    panel.kpis.append(Kpi("conversion_rate", "Overall conversion", "percent",
                          percent(now["orders"], now["sessions"]),
                          percent(before["orders"], before["sessions"])))
    rows = []
    for index, (key, label) in enumerate(FUNNEL_STEPS):
        previous_step = now[FUNNEL_STEPS[index - 1][0]] if index else None
        rows.append([label, now[key],
                     percent(now[key], previous_step) if index else None,
                     percent(now[key], now["sessions"])])
    panel.tables.append(Table("funnel_steps", "Funnel steps",
                              ["Step", "Count", "Conversion from the step before (%)",
                               "Share of sessions (%)"], rows, "conversion_rate"))
    panel.charts.append(Chart("funnel_chart", "Funnel", "hbars", "Step", "Sessions",
                              [(label, now[key]) for key, label in FUNNEL_STEPS]))
    return panel


# --- Customers ------------------------------------------------------------------------------

def customers_panel(period: Period, currency: str | None = None) -> Panel:
    """Four queries: customers and repeaters of both periods (one grouped subquery), new
    customers by first-order day, lifetime value over every customer, top customers."""
    currency = currency or settings.SHOP_CURRENCY
    first, last = _range(period)
    start, end = day_bounds(first, last)
    current_start, _ = day_bounds(period.start, period.end)
    per_customer = (counted_orders().filter(currency=currency, placed_at__gte=start,
                                            placed_at__lt=end)
                    .annotate(k=customer_key(),
                              now=ExpressionWrapper(Q(placed_at__gte=current_start),
                                                    output_field=BooleanField()))
                    .values("k", "now").annotate(n=Count("pk")))
    summary = {}
    grouped = per_customer.aggregate(
        now_customers=Count("k", filter=Q(now=True)),
        now_repeat=Count("k", filter=Q(now=True, n__gte=2)),
        now_orders=Sum("n", filter=Q(now=True)),
        before_customers=Count("k", filter=Q(now=False)),
        before_repeat=Count("k", filter=Q(now=False, n__gte=2)),
        before_orders=Sum("n", filter=Q(now=False)))
    for flag, prefix in ((True, "now"), (False, "before")):
        summary[flag] = {"customers": grouped[f"{prefix}_customers"] or 0,
                         "repeat": grouped[f"{prefix}_repeat"] or 0,
                         "orders": grouped[f"{prefix}_orders"] or 0}
    new_by_day = dict(CustomerFact.objects.filter(currency=currency, first_order_day__gte=first,
                                                  first_order_day__lte=last)
                      .values("first_order_day").annotate(n=Count("pk"))
                      .values_list("first_order_day", "n"))
    everyone = CustomerFact.objects.filter(currency=currency).aggregate(
        n=Count("pk"), total=Sum("net_sales"))
    top = list(CustomerFact.objects.filter(currency=currency)
               .order_by("-net_sales", "key")[:TOP])

    def figures(flag: bool, p: Period) -> dict:
        s = summary[flag]
        new = sum(n for day, n in new_by_day.items() if p.start <= day <= p.end)
        return {"customers": s["customers"], "new_customers": new,
                "returning_customers": s["customers"] - new,
                "repeat_purchase_rate": percent(s["repeat"], s["customers"]),
                "orders_per_customer": ratio(s["orders"], s["customers"])}

    now, before = figures(True, period), figures(False, period.previous)
    panel = Panel("customers", "Customers", period, currency)
    for key, label, kind in [("customers", "Customers", "count"),
                             ("new_customers", "New customers", "count"),
                             ("returning_customers", "Returning customers", "count"),
                             ("repeat_purchase_rate", "Repeat purchase rate", "percent"),
                             ("orders_per_customer", "Orders per customer", "number")]:
        panel.kpis.append(Kpi(key, label, kind, now[key], before[key]))
    panel.kpis.append(Kpi("lifetime_value", "Customer lifetime value", "money",
                          money_ratio(everyone["total"] or ZERO, everyone["n"], currency),
                          compare=False))
    panel.charts.append(Chart(
        "new_customers_by_day", "New customers by " + ("week" if period.days > 62 else "day"),
        "bars", "Week" if period.days > 62 else "Day", "New customers",
        [(label, int(value)) for label, value in _by_bucket(
            period, {d: Decimal(n) for d, n in new_by_day.items()})]))
    panel.charts.append(Chart("new_vs_returning", "New and returning customers", "hbars",
                              "Customers", "Customers in the period",
                              [("New", now["new_customers"]),
                               ("Returning", now["returning_customers"])]))
    panel.tables.append(Table(
        "top_customers", "Top customers by lifetime net sales",
        ["Customer", "Orders", "Net sales", "First order", "Last order"],
        [[fact.email, fact.orders, Money(fact.net_sales, currency), fact.first_order_day,
          fact.last_order_day] for fact in top], "lifetime_value",
        empty="No customers yet."))
    return panel


# --- Fulfillment ----------------------------------------------------------------------------

def fulfillment_panel(period: Period, currency: str | None = None) -> Panel:
    """Four queries: shipped-in-period figures of both periods (with percentiles),
    delivered-in-period figures, shipments by carrier, and the live late/exception list."""
    currency = currency or settings.SHOP_CURRENCY
    first, last = _range(period)
    shipped = time_summary(
        ShipmentFact.objects.filter(ship_day__gte=first, ship_day__lte=last),
        day="ship_day", time="lead_time", yes="shipped_in_time", period=period)
    delivered = time_summary(
        ShipmentFact.objects.filter(delivery_day__gte=first, delivery_day__lte=last,
                                    delivery_time__isnull=False),
        day="delivery_day", time="delivery_time", yes="delivered_on_time", period=period)
    carriers = list(ShipmentFact.objects.filter(_in(period, "ship_day")).values("carrier")
                    .annotate(n=Count("pk")).order_by("-n", "carrier"))
    late = list(
        Shipment.objects.filter(Q(state=Shipment.State.EXCEPTION)
                                | Q(state__in=Shipment.UNSHIPPED,
                                    promised_ship_by__lt=timezone.now()))
        .select_related("order", "warehouse").order_by("promised_ship_by", "pk")[:50])
    panel = Panel("fulfillment", "Fulfillment", period, currency)
    now, before = shipped["now"], shipped["before"]
    panel.kpis += [
        Kpi("lead_time_median", "Order to ship (median)", "duration", now["median"],
            before["median"]),
        Kpi("lead_time_p90", "Order to ship (90th percentile)", "duration", now["p90"],
            before["p90"]),
        Kpi("shipped_in_time", "Shipped within the promised time", "percent",
            percent(now["yes"], now["count"]), percent(before["yes"], before["count"])),
        Kpi("delivery_time_median", "Delivery time (median)", "duration",
            delivered["now"]["median"], delivered["before"]["median"]),
        Kpi("on_time_delivery", "On-time delivery", "percent",
            percent(delivered["now"]["yes"], delivered["now"]["count"]),
            percent(delivered["before"]["yes"], delivered["before"]["count"])),
        Kpi("shipments", "Shipments shipped", "count", now["count"], before["count"]),
    ]
    labels = dict(Shipment.Carrier.choices)
    panel.charts.append(Chart("shipments_by_carrier", "Shipments by carrier", "hbars",
                              "Carrier", "Shipments",
                              [(labels.get(row["carrier"], row["carrier"]), row["n"])
                               for row in carriers]))
    panel.tables.append(Table(
        "late_shipments", "Late and exception shipments (now)",
        ["Shipment", "Order", "Warehouse", "State", "Promised ship by"],
        [[s.number, s.order.number, s.warehouse.code, s.get_state_display(),
          s.promised_ship_by] for s in late], "late_shipments",
        empty="No late or exception shipments."))
    return panel


# --- Returns --------------------------------------------------------------------------------

def returns_panel(period: Period, currency: str | None = None) -> Panel:
    """Four queries: units delivered per SKU, units returned per SKU (both periods each),
    units by reason, and refunds with their time to refund."""
    currency = currency or settings.SHOP_CURRENCY
    first, last = _range(period)
    now, before = _in(period), _in(period.previous)
    delivered = list(DailyProductSales.objects.filter(currency=currency, day__gte=first,
                                                      day__lte=last)
                     .values("sku").annotate(now=Sum("units_delivered", filter=now),
                                             before=Sum("units_delivered", filter=before),
                                             name=Coalesce(F("product__title"),
                                                           F("product_name")))
                     .values("sku", "now", "before", "name"))
    line_facts = ReturnLineFact.objects.filter(request_day__gte=first, request_day__lte=last,
                                               order__currency=currency)
    returned = list(line_facts.values("sku").annotate(
        now=Sum("quantity", filter=_in(period, "request_day")),
        before=Sum("quantity", filter=_in(period.previous, "request_day")),
        name=Max("product_name")).values("sku", "now", "before", "name"))
    reasons = list(line_facts.filter(_in(period, "request_day")).values("reason")
                   .annotate(units=Sum("quantity")).order_by("-units", "reason"))
    now_refund, before_refund = _in(period, "refund_day"), _in(period.previous, "refund_day")
    refunds = ReturnFact.objects.filter(currency=currency, refund_day__gte=first,
                                        refund_day__lte=last).aggregate(
        now_amount=Sum("refunded_amount", filter=now_refund),
        before_amount=Sum("refunded_amount", filter=before_refund),
        now_n=Count("pk", filter=now_refund), before_n=Count("pk", filter=before_refund),
        now_time=Sum(ExpressionWrapper(F("refunded_at") - F("requested_at"),
                                       output_field=DurationField()), filter=now_refund),
        before_time=Sum(ExpressionWrapper(F("refunded_at") - F("requested_at"),
                                          output_field=DurationField()), filter=before_refund))
    names = {row["sku"]: row["name"] for row in returned}
    names.update({row["sku"]: row["name"] for row in delivered})
    sent = {row["sku"]: (row["now"] or 0, row["before"] or 0) for row in delivered}
    back = {row["sku"]: (row["now"] or 0, row["before"] or 0) for row in returned}
    sent_now, sent_before = sum(v[0] for v in sent.values()), sum(v[1] for v in sent.values())
    back_now, back_before = sum(v[0] for v in back.values()), sum(v[1] for v in back.values())

    def average(total, count):
        total = _duration(total)
        return total / count if total is not None and count else None

    panel = Panel("returns", "Returns", period, currency, kpis=[
        Kpi("return_rate", "Return rate", "percent", percent(back_now, sent_now),
            percent(back_before, sent_before)),
        Kpi("units_returned", "Units returned", "count", back_now, back_before),
        Kpi("return_refunds", "Refunded on returns", "money",
            Money(refunds["now_amount"] or ZERO, currency),
            Money(refunds["before_amount"] or ZERO, currency)),
        Kpi("time_to_refund", "Request to refund (average)", "duration",
            average(refunds["now_time"], refunds["now_n"]),
            average(refunds["before_time"], refunds["before_n"])),
    ])
    by_product = sorted(((sku, units[0]) for sku, units in back.items() if units[0]),
                        key=lambda item: (-item[1], item[0]))
    panel.tables.append(Table(
        "returns_by_product", "Return rate by product",
        ["SKU", "Product", "Units returned", "Units delivered", "Return rate (%)"],
        [[sku, names.get(sku, ""), units, sent.get(sku, (0, 0))[0],
          percent(units, sent.get(sku, (0, 0))[0])] for sku, units in by_product[:50]],
        "return_rate"))
    reason_labels = dict(ReturnLine.Reason.choices)
    panel.charts.append(Chart(
        "returns_by_reason", "Units returned by reason", "hbars", "Reason", "Units",
        [(reason_labels.get(row["reason"], row["reason"]), row["units"]) for row in reasons]))
    panel.tables.append(Table(
        "returns_by_reason_rate", "Return rate by reason",
        ["Reason", "Units returned", "Share of units delivered (%)"],
        [[reason_labels.get(row["reason"], row["reason"]), row["units"],
          percent(row["units"], sent_now)] for row in reasons], "return_rate"))
    return panel


# --- Stock ----------------------------------------------------------------------------------

SLOW_MOVER_DAYS = 60


def stock_panel(period: Period, currency: str | None = None,
                slow_days: int = SLOW_MOVER_DAYS) -> Panel:
    """Two queries: every active variant with its stock summed over warehouses, and units
    sold per SKU in the period and in the slow-mover window."""
    currency = currency or settings.SHOP_CURRENCY
    window_start = period.end - dt.timedelta(days=slow_days - 1)
    variants = list(Variant.objects.filter(is_active=True, currency=currency)
                    .values("sku", "product__title", "title", "price", "cost_price")
                    .annotate(on_hand=Coalesce(Sum("stock_levels__on_hand"), 0),
                              allocated=Coalesce(Sum("stock_levels__allocated"), 0),
                              # What the storefront may sell: the one rule, from inventory.
                              available=variant_available_expression())
                    .order_by("sku"))
    sold = {row["sku"]: row for row in DailyProductSales.objects.filter(
        currency=currency, day__gte=min(period.start, window_start), day__lte=period.end)
        .values("sku").annotate(units=Coalesce(Sum("units_sold", filter=_in(period)), 0),
                                recent=Coalesce(Sum("units_sold",
                                                    filter=Q(day__gte=window_start)), 0))}
    threshold = settings.SHOP_LOW_STOCK_THRESHOLD
    value_cost = value_price = cogs = ZERO
    missing_cost = units_sold = units_on_hand = units_available = 0
    low, out, slow, cover = [], [], [], []
    for variant in variants:
        name = variant["product__title"] + (f" — {variant['title']}" if variant["title"] else "")
        available = variant["available"]
        sales = sold.get(variant["sku"], {"units": 0, "recent": 0})
        units_sold += sales["units"]
        units_on_hand += max(variant["on_hand"], 0)
        units_available += available
        value_price += variant["price"] * max(variant["on_hand"], 0)
        if variant["cost_price"] is None:
            missing_cost += 1
        else:
            value_cost += variant["cost_price"] * max(variant["on_hand"], 0)
            cogs += variant["cost_price"] * sales["units"]
        per_day = Decimal(sales["units"]) / period.days
        days = (Decimal(available) / per_day).quantize(Decimal("0.1"), ROUND_HALF_UP) \
            if per_day else None
        if available == 0:
            out.append([variant["sku"], name, variant["on_hand"], variant["allocated"]])
        elif available <= threshold:
            low.append([variant["sku"], name, available, days])
        if variant["on_hand"] > 0 and not sales["recent"]:
            slow.append([variant["sku"], name, variant["on_hand"],
                         Money(variant["price"] * variant["on_hand"], currency)])
        if per_day:
            cover.append([variant["sku"], name, available, sales["units"], days])
    per_day_total = Decimal(units_sold) / period.days
    cover.sort(key=lambda row: (row[4], row[0]))
    panel = Panel("stock", "Stock", period, currency, kpis=[
        Kpi("value_at_cost", "Inventory value at cost", "money", Money(value_cost, currency),
            compare=False),
        Kpi("value_at_price", "Inventory value at price", "money",
            Money(value_price, currency), compare=False),
        Kpi("low_stock", "Low-stock SKUs", "count", len(low), compare=False),
        Kpi("out_of_stock", "Out-of-stock SKUs", "count", len(out), compare=False),
        Kpi("days_of_cover", "Days of cover", "number",
            (Decimal(units_available) / per_day_total).quantize(Decimal("0.1"), ROUND_HALF_UP)
            if per_day_total else None, compare=False),
        Kpi("sell_through", "Sell-through rate", "percent",
            percent(units_sold, units_sold + units_on_hand), compare=False),
        Kpi("inventory_turnover", "Inventory turnover", "number", ratio(cogs, value_cost),
            compare=False),
    ])
    panel.missing_cost = missing_cost
    panel.slow_days = slow_days
    panel.tables += [
        Table("low_stock", "Low stock", ["SKU", "Variant", "Available", "Days of cover"],
              low, "low_stock", empty="No low-stock SKUs."),
        Table("out_of_stock", "Out of stock", ["SKU", "Variant", "On hand", "Allocated"], out,
              "out_of_stock", empty="Nothing is out of stock."),
        Table("days_of_cover", "Days of cover (lowest first)",
              ["SKU", "Variant", "Available", "Units sold in the period", "Days of cover"],
              cover[:50], "days_of_cover"),
        Table("slow_movers", f"Slow movers (no sale in {slow_days} days)",
              ["SKU", "Variant", "On hand", "Value at price"], slow[:100], "slow_movers",
              empty="Every SKU in stock sold recently."),
    ]
    top_value = sorted(((row["sku"], row["price"] * max(row["on_hand"], 0))
                        for row in variants), key=lambda item: (-item[1], item[0]))[:TOP]
    panel.charts.append(Chart("stock_value", "Inventory value at price, top SKUs", "hbars",
                              "SKU", f"Value ({currency})",
                              [(sku, value) for sku, value in top_value if value],
                              unit="money"))
    return panel


PANELS = {"sales": sales_panel, "funnel": funnel_panel, "customers": customers_panel,
          "fulfillment": fulfillment_panel, "returns": returns_panel, "stock": stock_panel}
