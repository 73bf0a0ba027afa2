"""Keeping the dashboards' roll-ups and facts right: the write side of the dashboards.

Two ways in, sharing the same queries:

- ``refresh_orders(order_ids=...)``: after any event on an order (paid, canceled, a
  shipment moved, a return moved), re-derive those orders' facts and recompute every day
  roll-up they touch (placement days, refund days, delivery days) and their customers'
  histories. Recomputing from the source, never adding deltas, makes it idempotent: run
  it twice, or late, and the rows are the same. Events queue their orders and a flush
  refreshes them together (``refresh_queue``).
- ``rebuild_rollups()``: nightly, recompute everything from the source in a few
  set-based statements, compare with what the increments left, record how many rows
  differed (``RollupRun``; zero when the increments were right) and replace them.

Counted orders: not canceled, paid or authorized (refunded ones too: their refunds are
subtracted), not exchange replacements (those are sent at no charge). Days are local
days in SHOP_TIME_ZONE.
"""

from __future__ import annotations

import datetime as dt
import logging
from decimal import Decimal

from django.conf import settings
from django.db import connection, transaction
from django.db.models import (
    BooleanField,
    Case,
    CharField,
    Count,
    DateField,
    DecimalField,
    DurationField,
    ExpressionWrapper,
    F,
    Max,
    Min,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
    Window,
)
from django.db.models.fields.json import KT
from django.db.models.functions import Cast, Coalesce, Concat, Lag, Lead, TruncDate
from django.utils import timezone

from fulfillment.models import Shipment, ShipmentLine
from orders.models import Order, OrderEvent, OrderLine
from returns.models import ReturnLine, ReturnRequest

from . import marketing_rollups as marketing
from .models import (
    CustomerFact,
    CustomerOrder,
    DailyCartReminders,
    DailyProductSales,
    DailySales,
    DailyShipments,
    DailyShipmentTimes,
    RecoveredOrderFact,
    RefundFact,
    ReturnFact,
    ReturnLineFact,
    RollupRun,
    ShipmentFact,
)
from .periods import consecutive_runs, day_bounds, local_day, local_today, shop_zone
from .refund_split import refunds_between, split_refunds
from .rollup_differences import differences as _differences
from .rollup_lock import lock as _lock
from .shipment_days import hour_of, shipment_days_of, write_shipment_days

logger = logging.getLogger(__name__)

COUNTED_PAYMENT = (Order.PaymentStatus.AUTHORIZED, Order.PaymentStatus.PAID,
                   Order.PaymentStatus.PARTIALLY_REFUNDED, Order.PaymentStatus.REFUNDED)
ZERO = Decimal("0.00")
AMOUNT = DecimalField(max_digits=12, decimal_places=2)


def counted_orders() -> QuerySet[Order]:
    return Order.objects.filter(
        status__in=[Order.Status.OPEN, Order.Status.CLOSED], payment_status__in=COUNTED_PAYMENT,
        replaces__isnull=True).order_by()


def local_date(field: str) -> TruncDate:
    return TruncDate(field, tzinfo=shop_zone())


def customer_key(prefix: str = "") -> Case:
    """``u:<user id>`` for an account's orders, ``e:<email>`` for a guest's."""
    return Case(
        When(**{f"{prefix}user_id__isnull": False},
             then=Concat(Value("u:"), Cast(f"{prefix}user_id", CharField()))),
        default=Concat(Value("e:"), F(f"{prefix}email")), output_field=CharField())


def _insert_select(model, columns: list[str], queryset: QuerySet) -> int:
    """INSERT INTO model (columns) SELECT ... from a values_list queryset (same order): one
    statement, whatever the row count."""
    sql, params = queryset.query.sql_with_params()
    quote = connection.ops.quote_name
    names = ", ".join(quote(model._meta.get_field(name).column) for name in columns)
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {quote(model._meta.db_table)} ({names}) {sql}", params)
        return cursor.rowcount


# --- Facts ----------------------------------------------------------------------------------

def _shipment_facts(orders: QuerySet) -> QuerySet:
    return (Shipment.objects.filter(order__in=orders.values("pk"))
            .exclude(state=Shipment.State.CANCELED).order_by()
            .annotate(
                f_ship_day=local_date("shipped_at"),
                f_delivery_day=local_date("delivered_at"),
                f_lead=ExpressionWrapper(F("shipped_at") - F("order__paid_at"),
                                         output_field=DurationField()),
                f_delivery=Case(When(carrier=Shipment.Carrier.PICKUP, then=Value(None)),
                                default=ExpressionWrapper(F("delivered_at") - F("shipped_at"),
                                                          output_field=DurationField()),
                                output_field=DurationField()),
                f_in_time=Case(When(shipped_at__isnull=True, then=Value(None)),
                               When(shipped_at__lte=F("promised_ship_by"), then=Value(True)),
                               default=Value(False), output_field=BooleanField()),
                f_on_time=Case(When(Q(delivered_at__isnull=True)
                                    | Q(order__delivery_latest__isnull=True)
                                    | Q(carrier=Shipment.Carrier.PICKUP), then=Value(None)),
                               When(f_delivery_day__lte=F("order__delivery_latest"),
                                    then=Value(True)),
                               default=Value(False), output_field=BooleanField()))
            .annotate(f_lead_hour=hour_of("f_lead"), f_delivery_hour=hour_of("f_delivery"))
            .values_list("pk", "order_id", "carrier", "state", "order__paid_at",
                         "promised_ship_by", "shipped_at", "f_ship_day", "delivered_at",
                         "f_delivery_day", "order__delivery_latest", "f_lead", "f_delivery",
                         "f_in_time", "f_on_time", "f_lead_hour", "f_delivery_hour"))


SHIPMENT_FACT_COLUMNS = ["shipment", "order", "carrier", "state", "paid_at", "promised_ship_by",
                         "shipped_at", "ship_day", "delivered_at", "delivery_day",
                         "delivery_latest", "lead_time", "delivery_time", "shipped_in_time",
                         "delivered_on_time", "lead_hour", "delivery_hour"]


def _refund_facts(orders: QuerySet) -> QuerySet:
    return (OrderEvent.objects.filter(type=OrderEvent.Type.REFUNDED,
                                      order__in=orders.values("pk"))
            .order_by()
            .annotate(f_amount=Cast(KT("data__amount"), AMOUNT), f_day=local_date("created_at"))
            .values_list("pk", "order_id", "order__currency", "created_at", "f_day", "f_amount"))


REFUND_FACT_COLUMNS = ["event", "order", "currency", "refunded_at", "day", "amount"]


def _return_facts(orders: QuerySet) -> QuerySet:
    refunded = Q(state=ReturnRequest.State.REFUNDED)
    return (ReturnRequest.objects.filter(order__in=orders.values("pk")).order_by()
            .annotate(f_day=local_date("created_at"), f_closed_day=local_date("closed_at"),
                      f_refunded_at=Case(When(refunded, then=F("closed_at")), default=None),
                      f_refund_day=Case(When(refunded, then=F("f_closed_day")), default=None))
            .values_list("pk", "order_id", "state", "order__currency", "created_at", "f_day",
                         "f_refunded_at", "f_refund_day", "refunded_amount"))


RETURN_FACT_COLUMNS = ["return_request", "order", "state", "currency", "requested_at",
                       "request_day", "refunded_at", "refund_day", "refunded_amount"]


def _return_line_facts(orders: QuerySet) -> QuerySet:
    return (ReturnLine.objects.filter(return_request__order__in=orders.values("pk"))
            .exclude(return_request__state=ReturnRequest.State.REJECTED).order_by()
            .annotate(f_day=local_date("return_request__created_at"))
            .values_list("pk", "return_request_id", "return_request__order_id",
                         "return_request__order__currency", "f_day", "order_line__sku",
                         "order_line__product_name", "reason", "quantity"))


RETURN_LINE_FACT_COLUMNS = ["return_line", "return_request", "order", "currency", "request_day",
                            "sku", "product_name", "reason", "quantity"]

FACTS = [
    (ShipmentFact, SHIPMENT_FACT_COLUMNS, _shipment_facts),
    (RecoveredOrderFact, marketing.RECOVERED_ORDER_FACT_COLUMNS, marketing.recovered_facts),
    (RefundFact, REFUND_FACT_COLUMNS, _refund_facts),
    (ReturnFact, RETURN_FACT_COLUMNS, _return_facts),
    (ReturnLineFact, RETURN_LINE_FACT_COLUMNS, _return_line_facts),
]


def _rewrite_facts(orders: QuerySet, *, order_ids: list[int] | None = None) -> None:
    for model, columns, source in FACTS:
        stale = model.objects.all() if order_ids is None else model.objects.filter(
            order_id__in=order_ids)
        stale._raw_delete(stale.db)  # derived rows: no signals, no cascades
        _insert_select(model, columns, source(orders))


def _rollup_days(order_ids: list[int]) -> set[dt.date]:
    """Days whose roll-ups these orders' facts feed (refund days, delivery days)."""
    days = set(RefundFact.objects.filter(order_id__in=order_ids).values_list("day", flat=True))
    days |= set(ShipmentFact.objects.filter(order_id__in=order_ids, delivery_day__isnull=False)
                .values_list("delivery_day", flat=True))
    days |= set(ReturnFact.objects.filter(order_id__in=order_ids, refund_day__isnull=False)
                .values_list("refund_day", flat=True))
    return days


# --- Day roll-ups ---------------------------------------------------------------------------

SALES_FIELDS = ("orders", "units", "gross_sales", "discounts", "tax", "shipping", "refunds",
                "tax_refunds", "shipping_refunds", "units_delivered", "return_refunds",
                "returns_refunded", "return_refund_time")
PRODUCT_FIELDS = ("product_id", "product_name", "units_sold", "gross_sales", "discounts",
                  "refunds", "units_refunded", "net_sales", "units_delivered")


def compute_daily_sales(first: dt.date, last: dt.date) -> dict[tuple, dict]:
    """{(day, currency): DailySales fields} for local days first..last, from the source."""
    start, end = day_bounds(first, last)
    placed = counted_orders().filter(placed_at__gte=start, placed_at__lt=end)
    rows: dict[tuple, dict] = {}

    def row(day, currency) -> dict:
        return rows.setdefault((day, currency), {"orders": 0, "units": 0, "gross_sales": ZERO,
                                                 "discounts": ZERO, "tax": ZERO,
                                                 "shipping": ZERO, "refunds": ZERO,
                                                 "tax_refunds": ZERO,
                                                 "shipping_refunds": ZERO,
                                                 "units_delivered": 0, "return_refunds": ZERO,
                                                 "returns_refunded": 0,
                                                 "return_refund_time": None})

    for item in (placed.annotate(d=local_date("placed_at")).values("d", "currency")
                 .annotate(n=Count("pk"), gross=Sum("subtotal"), disc=Sum("discount_amount"),
                           tax=Sum("tax_amount"), ship=Sum("shipping_amount"))):
        row(item["d"], item["currency"]).update(
            orders=item["n"], gross_sales=item["gross"], discounts=item["disc"],
            tax=item["tax"], shipping=item["ship"])
    for item in (OrderLine.objects.filter(order__in=placed.values("pk")).order_by()
                 .values(d=local_date("order__placed_at"), currency=F("order__currency"))
                 .annotate(units=Sum("quantity"))):
        row(item["d"], item["currency"])["units"] = item["units"]
    for split in refunds_between(first, last):  # on the sales' base: see refund_split
        found = row(split.day, split.currency)
        found["refunds"] += split.merchandise
        found["tax_refunds"] += split.tax
        found["shipping_refunds"] += split.shipping
    # For the returns panel: the day totals of what its per-SKU and per-return reads summed.
    for item in (ShipmentLine.objects
                 .filter(shipment__dashboard_fact__delivery_day__gte=first,
                         shipment__dashboard_fact__delivery_day__lte=last).order_by()
                 .values(d=F("shipment__dashboard_fact__delivery_day"),
                         currency=F("shipment__order__currency"))
                 .annotate(units=Sum("quantity"))):
        row(item["d"], item["currency"])["units_delivered"] = item["units"]
    for item in (ReturnFact.objects.filter(refund_day__gte=first, refund_day__lte=last)
                 .order_by().values("refund_day", "currency")
                 .annotate(amount=Sum("refunded_amount"), n=Count("pk"),
                           time=Sum(ExpressionWrapper(F("refunded_at") - F("requested_at"),
                                                      output_field=DurationField())))):
        row(item["refund_day"], item["currency"]).update(
            return_refunds=item["amount"], returns_refunded=item["n"],
            return_refund_time=_duration(item["time"]))
    return rows


def _duration(value) -> dt.timedelta | None:
    if value is None or isinstance(value, dt.timedelta):
        return value
    return dt.timedelta(microseconds=int(value))  # SQLite sums durations as microseconds


def compute_product_sales(first: dt.date, last: dt.date) -> dict[tuple, dict]:
    """{(day, currency, sku): DailyProductSales fields} for local days first..last."""
    start, end = day_bounds(first, last)
    placed = counted_orders().filter(placed_at__gte=start, placed_at__lt=end)
    rows: dict[tuple, dict] = {}

    def row(key, product_id, name) -> dict:
        found = rows.setdefault(key, {"product_id": product_id, "product_name": name,
                                      "units_sold": 0, "gross_sales": ZERO, "discounts": ZERO,
                                      "refunds": ZERO, "units_refunded": 0,
                                      "net_sales": ZERO, "units_delivered": 0})
        found["product_id"] = found["product_id"] or product_id
        return found

    for item in (OrderLine.objects.filter(order__in=placed.values("pk")).order_by()
                 .values(d=local_date("order__placed_at"), currency=F("order__currency"),
                         line_sku=F("sku"))
                 .annotate(units=Sum("quantity"), gross=Sum(F("unit_price") * F("quantity")),
                           disc=Sum("discount_amount"), product=Max("variant__product_id"),
                           name=Max("product_name"))):
        found = row((item["d"], item["currency"], item["line_sku"]), item["product"],
                    item["name"])
        found.update(units_sold=item["units"], gross_sales=item["gross"],
                     discounts=item["disc"])
    for split in refunds_between(first, last):
        for sku, (amount, units, product_id, name) in split.skus.items():
            found = row((split.day, split.currency, sku), product_id, name)
            found["refunds"] += amount
            found["units_refunded"] += units
    for found in rows.values():
        found["net_sales"] = found["gross_sales"] - found["discounts"] - found["refunds"]
    for item in (ShipmentLine.objects
                 .filter(shipment__dashboard_fact__delivery_day__gte=first,
                         shipment__dashboard_fact__delivery_day__lte=last).order_by()
                 .values(d=F("shipment__dashboard_fact__delivery_day"),
                         currency=F("shipment__order__currency"), line_sku=F("order_line__sku"))
                 .annotate(units=Sum("quantity"), product=Max("order_line__variant__product_id"),
                           name=Max("order_line__product_name"))):
        row((item["d"], item["currency"], item["line_sku"]), item["product"],
            item["name"])["units_delivered"] = item["units"]
    return rows


def _stored_sales(first: dt.date | None, last: dt.date | None) -> dict[tuple, dict]:
    rows = DailySales.objects.all()
    if first is not None:
        rows = rows.filter(day__gte=first, day__lte=last)
    return {(r["day"], r["currency"]): {f: r[f] for f in SALES_FIELDS}
            for r in rows.values("day", "currency", *SALES_FIELDS).iterator(chunk_size=5000)}


def _stored_products(first: dt.date | None, last: dt.date | None) -> dict[tuple, dict]:
    rows = DailyProductSales.objects.all()
    if first is not None:
        rows = rows.filter(day__gte=first, day__lte=last)
    return {(r["day"], r["currency"], r["sku"]): {f: r[f] for f in PRODUCT_FIELDS}
            for r in rows.values("day", "currency", "sku", *PRODUCT_FIELDS)
            .iterator(chunk_size=5000)}


def _write_days(first: dt.date | None, last: dt.date | None, sales: dict, products: dict) -> None:
    old_sales = DailySales.objects.all()
    old_products = DailyProductSales.objects.all()
    if first is not None:
        old_sales = old_sales.filter(day__gte=first, day__lte=last)
        old_products = old_products.filter(day__gte=first, day__lte=last)
    old_sales._raw_delete(old_sales.db)
    old_products._raw_delete(old_products.db)
    DailySales.objects.bulk_create(
        [DailySales(day=day, currency=currency, **values)
         for (day, currency), values in sorted(sales.items())], batch_size=2000)
    DailyProductSales.objects.bulk_create(
        [DailyProductSales(day=day, currency=currency, sku=sku, **values)
         for (day, currency, sku), values in sorted(products.items())], batch_size=5000)


# --- Customers ------------------------------------------------------------------------------

def _customer_rows(orders: QuerySet) -> list[CustomerFact]:
    orders = orders.filter(currency=settings.SHOP_CURRENCY)
    keys = dict(orders.annotate(k=customer_key()).values_list("pk", "k"))
    refunds: dict[str, Decimal] = {}
    for split in split_refunds(RefundFact.objects.filter(order__in=orders.values("pk"))):
        key = keys[split.order_id]
        refunds[key] = refunds.get(key, ZERO) + split.merchandise
    return [
        CustomerFact(key=item["k"], email=item["email"], user_id=item["user"],
                     currency=settings.SHOP_CURRENCY, first_order_day=item["first"],
                     last_order_day=item["last"], orders=item["n"],
                     net_sales=item["sales"] - refunds.get(item["k"], ZERO))
        for item in (orders.values(k=customer_key())
                     .annotate(email=Max("email"), user=Max("user_id"),
                               first=Min(local_date("placed_at")),
                               last=Max(local_date("placed_at")), n=Count("pk"),
                               sales=Sum(F("subtotal") - F("discount_amount"))))]


def _customer_orders(orders: QuerySet) -> QuerySet:
    """CustomerOrder rows of ``orders`` (whole customer histories), for INSERT ... SELECT:
    each order with the local days of its customer's orders before and after it."""
    orders = orders.filter(currency=settings.SHOP_CURRENCY)
    sequence = {"partition_by": [customer_key()],
                "order_by": [F("placed_at").asc(), F("pk").asc()]}
    return (orders.annotate(
        f_key=customer_key(), f_day=local_date("placed_at"),
        f_previous=Coalesce(Window(Lag(local_date("placed_at")), **sequence),
                            Value(CustomerOrder.FIRST), output_field=DateField()),
        f_next=Coalesce(Window(Lead(local_date("placed_at")), **sequence),
                        Value(CustomerOrder.LAST), output_field=DateField()))
        .values_list("pk", "f_key", "f_day", "f_previous", "f_next"))


CUSTOMER_ORDER_COLUMNS = ["order", "key", "day", "previous_day", "next_day"]


def _customer_values(fact: CustomerFact) -> dict:
    return {"first_order_day": fact.first_order_day, "last_order_day": fact.last_order_day,
            "orders": fact.orders, "net_sales": fact.net_sales}


# --- The two entry points -------------------------------------------------------------------

def refresh_order(*, order_id: int) -> set[dt.date]:
    return refresh_orders(order_ids=[order_id])


def refresh_orders(*, order_ids) -> set[dt.date]:
    """Bring the dashboards up to date with these orders, at about the cost of one: their
    facts, the roll-ups of every day they touch (each run of days once) and their
    customers' histories. Idempotent; returns the days recomputed. Safe for orders not
    counted (canceled, unpaid, exchanges): their facts go, their days are recomputed."""
    ids = sorted({int(order_id) for order_id in order_ids})
    with transaction.atomic():
        _lock()
        orders = list(Order.objects.filter(pk__in=ids).values("pk", "placed_at", "user_id",
                                                              "email"))
        if not orders:
            return set()
        ids = [order["pk"] for order in orders]
        days = {local_day(order["placed_at"]) for order in orders} | _rollup_days(ids)
        shipment_days = shipment_days_of(ids)
        _rewrite_facts(counted_orders().filter(pk__in=ids), order_ids=ids)
        days |= _rollup_days(ids)
        write_shipment_days(shipment_days | shipment_days_of(ids))
        for first, last in consecutive_runs(days):
            _write_days(first, last, compute_daily_sales(first, last),
                        compute_product_sales(first, last))
        users = sorted({order["user_id"] for order in orders if order["user_id"]})
        emails = sorted({order["email"] for order in orders if not order["user_id"]})
        history = counted_orders().filter(Q(user_id__in=users)
                                          | Q(user__isnull=True, email__in=emails))
        keys = [f"u:{user_id}" for user_id in users] + [f"e:{email}" for email in emails]
        CustomerFact.objects.filter(key__in=keys).delete()
        CustomerFact.objects.bulk_create(_customer_rows(history))
        stale = CustomerOrder.objects.filter(key__in=keys)
        stale._raw_delete(stale.db)
        _insert_select(CustomerOrder, CUSTOMER_ORDER_COLUMNS, _customer_orders(history))
        return days


def rebuild_rollups(*, first: dt.date | None = None) -> RollupRun:
    """Recompute every fact and roll-up from the source tables, compare with what the
    incremental refreshes stored, record the differences and replace the rows. With
    ``first``, the day roll-ups from that local day on only (facts and customers are
    always rebuilt whole: each customer's history spans every day).

    Set-based: a handful of INSERT ... SELECT and GROUP BY statements, whatever the
    number of orders, inside one transaction (the dashboards read the old rows until it
    commits)."""
    run = RollupRun(started_at=timezone.now())
    with transaction.atomic():
        _lock()
        since = first
        last = local_today() + dt.timedelta(days=1)  # a clock a little ahead stays counted
        bound = (since, last) if since is not None else (None, None)
        old_sales, old_products = _stored_sales(*bound), _stored_products(*bound)
        old_customers = {fact.key: _customer_values(fact)
                         for fact in CustomerFact.objects.iterator(chunk_size=5000)}
        _rewrite_facts(counted_orders())
        write_shipment_days(None)
        if since is None:
            first_placed = counted_orders().aggregate(first=Min("placed_at"))["first"]
            first = min(filter(None, [local_day(first_placed), local_today()]))
        sales, products = compute_daily_sales(first, last), compute_product_sales(first, last)
        customers = _customer_rows(counted_orders())
        old_reminders = marketing.stored_reminders(*bound)
        reminders = marketing.compute_reminder_days(*bound)
        sample: list = []
        run.rows_differing = (
            _differences("reminders", old_reminders, reminders, sample)
            + _differences("sales", old_sales, sales, sample)
            + _differences("products", old_products, products, sample)
            + _differences("customers", old_customers,
                           {fact.key: _customer_values(fact) for fact in customers}, sample))
        run.rows_checked = len(reminders.keys() | old_reminders.keys()) + len(
            sales.keys() | old_sales.keys()) + len(
            products.keys() | old_products.keys()) + len(customers)
        run.differences = sample
        _write_days(*bound, sales, products)
        marketing.write_reminders(*bound, reminders)
        everyone = CustomerFact.objects.all()
        everyone._raw_delete(everyone.db)
        CustomerFact.objects.bulk_create(customers, batch_size=2000)
        every_order = CustomerOrder.objects.all()
        every_order._raw_delete(every_order.db)
        _insert_select(CustomerOrder, CUSTOMER_ORDER_COLUMNS, _customer_orders(counted_orders()))
        run.finished_at = timezone.now()
        run.save()
    if connection.vendor == "postgresql":
        # Fresh rows: give the planner their counts and, outside a transaction, mark the
        # pages all-visible so the panels' covering indexes are read without the table.
        command = "ANALYZE" if connection.in_atomic_block else "VACUUM (ANALYZE)"
        with connection.cursor() as cursor:
            for model in (DailySales, DailyProductSales, DailyCartReminders, CustomerFact,
                          CustomerOrder,
                          DailyShipments,
                          DailyShipmentTimes, *(f[0] for f in FACTS)):
                cursor.execute(f"{command} {connection.ops.quote_name(model._meta.db_table)}")
    if run.rows_differing:
        logger.warning("KPI rebuild: %s of %s roll-up rows differed from the increments "
                       "(fixed): %s", run.rows_differing, run.rows_checked, sample[:3])
    return run
