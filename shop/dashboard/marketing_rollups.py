"""The marketing panel's roll-ups, kept with the others by ``rollups``: the counted orders
placed from a restored cart (RecoveredOrderFact, one of ``rollups.FACTS``) and the cart
reminders sent per local day (DailyCartReminders). ``rollups`` refreshes the facts
with each order and rebuilds both nightly."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import Count, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import TruncDate

from marketing.models import CartRecovery, MarketingEmail
from marketing.recovery import KIND as CART_REMINDER
from orders.models import Cart, Order

from .models import DailyCartReminders
from .periods import day_bounds, local_day, shop_zone
from .rollup_lock import lock


def recovered_facts(orders: QuerySet) -> QuerySet:
    """Orders placed from a restored cart, driven from the recoveries (few) through the
    unique checkout_token index, each with the abandoned cart of the earliest recovery
    into that cart."""
    first = (CartRecovery.objects.filter(restored_cart__token=OuterRef("checkout_token"))
             .order_by("restored_at", "pk").values("cart_id")[:1])
    return (orders.filter(checkout_token__in=CartRecovery.objects.values("restored_cart__token"))
            .order_by().annotate(f_cart=Subquery(first))
            .values_list("pk", "currency", "placed_at", "number", "total", "f_cart"))


RECOVERED_ORDER_FACT_COLUMNS = ["order", "currency", "placed_at", "number", "total",
                                "recovered_cart"]


def orders_with_restored_cart(cart_id: int) -> list[int]:
    """The orders placed from a cart (restored by a recovery): their facts follow it."""
    return list(Order.objects.filter(
        checkout_token__in=Cart.objects.filter(pk=cart_id).values("token"))
        .values_list("pk", flat=True))


REMINDER_FIELDS = ("sent", "first_sent")


def compute_reminder_days(first: dt.date | None, last: dt.date | None) -> dict[tuple, dict]:
    """{(day,): {"sent", "first_sent"}} for the local days first..last (all with None)."""
    emails = MarketingEmail.objects.filter(kind=CART_REMINDER,
                                           status=MarketingEmail.Status.SENT,
                                           sent_at__isnull=False)
    if first is not None:
        since, until = day_bounds(first, last)
        emails = emails.filter(sent_at__gte=since, sent_at__lt=until)
    rows = (emails.order_by().annotate(f_day=TruncDate("sent_at", tzinfo=shop_zone()))
            .values("f_day").annotate(sent=Count("pk"),
                      first_sent=Count("pk", filter=Q(cart_reminder__number=1))))
    return {(row["f_day"],): {"sent": row["sent"], "first_sent": row["first_sent"]}
            for row in rows}


def stored_reminders(first: dt.date | None, last: dt.date | None) -> dict[tuple, dict]:
    rows = DailyCartReminders.objects.all()
    if first is not None:
        rows = rows.filter(day__gte=first, day__lte=last)
    return {(row["day"],): {name: row[name] for name in REMINDER_FIELDS}
            for row in rows.values("day", *REMINDER_FIELDS)}


def write_reminders(first: dt.date | None, last: dt.date | None, rows: dict) -> None:
    stale = DailyCartReminders.objects.all()
    if first is not None:
        stale = stale.filter(day__gte=first, day__lte=last)
    stale._raw_delete(stale.db)
    DailyCartReminders.objects.bulk_create(
        [DailyCartReminders(day=key[0], **values) for key, values in rows.items()],
        batch_size=2000)


def reminder_day(email_id: int) -> dt.date | None:
    """The local day a marketing email was sent (None: not sent, or gone)."""
    sent_at = (MarketingEmail.objects.filter(pk=email_id)
               .values_list("sent_at", flat=True).first())
    return local_day(sent_at) if sent_at else None


def refresh_reminder_days(days: list[dt.date]) -> None:
    """Recompute the cart-reminder counts of these local days from the emails. Idempotent;
    under the roll-ups' lock, so two refreshes of a day never write an older count last."""
    with transaction.atomic():
        lock()
        for day in sorted(set(days)):
            write_reminders(day, day, compute_reminder_days(day, day))
