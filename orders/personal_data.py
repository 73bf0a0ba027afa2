"""What orders holds about a person: the address book, carts, and orders with their lines
and invoices. Registered with ``kernel.personal_data`` in ``OrdersConfig.ready``.

Erasure keeps what accounting and tax law require (GDPR Art. 17(3)(b) and (e)): an order
keeps its number, lines, amounts, tax and the place it was taxed for (city, region, postal
code, country), and an invoiced order keeps its billing name and address, because the
issued invoice must; the person's email, phone, street, shipping names, note, IP address
and link to the account go. A paid order with no invoice yet gets it first, so the bill the
law requires exists with the details it needs."""

from __future__ import annotations

import re
import uuid
from functools import reduce
from operator import or_

from django.db.models import Exists, OuterRef, Q, QuerySet

from kernel.money import Money
from kernel.personal_data import Subject, register_personal_data

from .models import Address, Cart, CartLine, Order, OrderEvent, OrderLine, OrderNotification
from .models.discounts import VoucherUse

# What an erased order's email becomes: `.invalid` can never receive mail (RFC 2606), and
# no data request is taken for that domain (``privacy.services``).
ERASED_EMAIL = "erased@erased.invalid"
ERASED_ADDRESS = {"first_name": "", "last_name": "", "company": "", "line1": "", "line2": "",
                  "phone": ""}


def subject_orders(subject: Subject) -> QuerySet[Order]:
    """The person's orders: those of their account and those placed with their email."""
    lookups = [Q(email__iexact=email) for email in sorted(subject.email_set)]
    if subject.user is not None:
        lookups.append(Q(user=subject.user))
    if not lookups:
        return Order.objects.none()
    return Order.objects.filter(reduce(or_, lookups))


def subject_carts(subject: Subject) -> QuerySet[Cart]:
    lookups = [Q(email__iexact=email) for email in sorted(subject.email_set)]
    if subject.user is not None:
        lookups.append(Q(user=subject.user))
    if not lookups:
        return Cart.objects.none()
    return Cart.objects.filter(reduce(or_, lookups))


def address_data(address: Address | None) -> dict | None:
    return address.as_dict() if address is not None else None


# --- Addresses --------------------------------------------------------------------------------

def export_addresses(subject: Subject) -> list[dict]:
    """The address book (one query)."""
    if subject.user is None:
        return []
    return [{**address.as_dict(), "created_at": address.created_at}
            for address in Address.objects.filter(user=subject.user, saved=True)
            .order_by("created_at", "pk")]


def erase_addresses(subject: Subject) -> None:
    """The address book is deleted; an address of the account an order still points at
    (none, normally: orders keep copies) is only detached, the order's erasure blanks it."""
    if subject.user is None:
        return
    own = Address.objects.filter(user=subject.user)
    used = Order.objects.filter(Q(shipping_address=OuterRef("pk")) |
                                Q(billing_address=OuterRef("pk")))
    own.filter(Exists(used)).update(user=None, saved=False)
    own.delete()


# --- Carts ------------------------------------------------------------------------------------

def export_carts(subject: Subject) -> list[dict]:
    """Carts and what is in them (two queries)."""
    carts = subject_carts(subject).select_related(
        "shipping_address", "billing_address").order_by("created_at", "pk")
    lines = CartLine.objects.filter(cart__in=carts.values("pk")).select_related(
        "variant__product").order_by("cart_id", "pk")
    by_cart: dict[int, list[dict]] = {}
    for line in lines:
        by_cart.setdefault(line.cart_id, []).append({
            "sku": line.variant.sku, "product": line.variant.product.title,
            "quantity": line.quantity, "added_at": line.created_at})
    return [{"status": cart.status, "email": cart.email, "currency": cart.currency,
             "shipping_address": address_data(cart.shipping_address),
             "billing_address": address_data(cart.billing_address),
             "note": cart.customer_note, "created_at": cart.created_at,
             "updated_at": cart.updated_at, "lines": by_cart.get(cart.pk, [])}
            for cart in carts]


def erase_carts(subject: Subject) -> None:
    """Carts are deleted with their lines and the addresses typed into them (orders hold
    their own copies)."""
    carts = subject_carts(subject)
    address_ids = set()
    for shipping_id, billing_id in carts.values_list("shipping_address_id",
                                                     "billing_address_id"):
        address_ids.update(pk for pk in (shipping_id, billing_id) if pk)
    carts.delete()
    Address.objects.filter(pk__in=address_ids, user__isnull=True).exclude(
        Exists(Order.objects.filter(Q(shipping_address=OuterRef("pk")) |
                                    Q(billing_address=OuterRef("pk"))))).exclude(
        Exists(Cart.objects.filter(Q(shipping_address=OuterRef("pk")) |
                                   Q(billing_address=OuterRef("pk"))))).delete()


# --- Orders -----------------------------------------------------------------------------------

def _line(line: OrderLine, currency: str) -> dict:
    return {"sku": line.sku, "product": line.product_name, "variant": line.variant_name,
            "quantity": line.quantity, "quantity_shipped": line.quantity_fulfilled,
            "quantity_returned": line.quantity_returned,
            "quantity_canceled": line.quantity_canceled,
            "unit_price": Money(line.unit_price, currency),
            "discount": Money(line.discount_amount, currency),
            "tax_rate_percent": str(line.tax_rate.normalize()),
            "tax": Money(line.tax_amount, currency), "total": Money(line.total, currency)}


def export_orders(subject: Subject) -> list[dict]:
    """Orders with their lines, addresses, invoice and the emails sent about them (three
    queries, however many)."""
    orders = (subject_orders(subject)
              .select_related("shipping_address", "billing_address", "invoice")
              .prefetch_related("lines", "notifications").order_by("placed_at", "pk"))
    result = []
    for order in orders:
        invoice = getattr(order, "invoice", None)
        result.append({
            "number": order.number, "placed_at": order.placed_at, "email": order.email,
            "status": order.status, "payment_status": order.payment_status,
            "fulfillment_status": order.fulfillment_status,
            "subtotal": order.money("subtotal"), "discount": order.money("discount_amount"),
            "voucher_code": order.voucher_code,
            "shipping": order.money("shipping_amount"), "tax": order.money("tax_amount"),
            "total": order.money("total"), "prices_include_tax": order.prices_include_tax,
            "shipping_method": order.shipping_method_name,
            "shipping_address": address_data(order.shipping_address),
            "billing_address": address_data(order.billing_address),
            "delivery_window": {"earliest": order.delivery_earliest,
                                "latest": order.delivery_latest},
            "note": order.customer_note, "ip_address": order.customer_ip,
            "paid_at": order.paid_at, "canceled_at": order.canceled_at,
            "invoice": ({"number": invoice.number, "issued_at": invoice.issued_at}
                        if invoice is not None else None),
            "lines": [_line(line, order.currency) for line in order.lines.all()],
            "emails_sent": [{"kind": notification.kind, "to": notification.recipient,
                             "sent_at": notification.sent_at}
                            for notification in order.notifications.all()
                            if notification.sent_at is not None],
        })
    return result


def erase_orders(subject: Subject) -> None:
    """Orders are detached from the person and anonymised, keeping what the law requires
    (the module's docstring). The caller (``privacy.services``) holds the orders' locks and
    has refused while one is still open; a fixed number of queries per invoice issued."""
    from .services.invoices import INVOICEABLE, issue_invoice

    orders = list(subject_orders(subject).select_related("invoice").order_by("pk"))
    if not orders:
        return
    invoiced = set()
    for order in orders:
        if getattr(order, "invoice", None) is not None:
            invoiced.add(order.pk)
        elif order.payment_status in INVOICEABLE:
            issue_invoice(order_id=order.pk)
            invoiced.add(order.pk)
    blank, keep_billing = set(), set()
    for order in orders:
        if order.pk in invoiced:
            keep_billing.add(order.billing_address_id)
        else:
            blank.add(order.billing_address_id)
        if order.shipping_address_id:
            blank.add(order.shipping_address_id)
    shared = blank & keep_billing
    for order in orders:
        # The invoice's address is also the parcel's: the parcel gets its own copy, blanked.
        if order.shipping_address_id in shared:
            copy = Address.objects.get(pk=order.shipping_address_id)
            copy.pk = None
            copy.save()
            Order.objects.filter(pk=order.pk).update(shipping_address=copy)
            blank.add(copy.pk)
    Address.objects.filter(pk__in=blank - keep_billing).update(**ERASED_ADDRESS)
    ids = [order.pk for order in orders]
    # A new token: the signed order links in the person's old emails open nothing now (the
    # order's page would still show the billing name the invoice keeps). Settled orders
    # only (the caller refused open ones), so no payment or return is waiting on a link.
    for order in orders:
        order.token = uuid.uuid4()
    Order.objects.bulk_update(orders, ["token"])
    Order.objects.filter(pk__in=ids).update(user=None, email=ERASED_EMAIL, customer_note="",
                                            customer_ip=None)
    VoucherUse.objects.filter(order_id__in=ids).update(email=ERASED_EMAIL)
    OrderNotification.objects.filter(order_id__in=ids).update(recipient=ERASED_EMAIL)
    needles = (subject.email_set | {order.email.lower() for order in orders if order.email}
               | {order.customer_ip for order in orders if order.customer_ip})
    _scrub_timeline(ids, needles)
    for order in orders:
        order.risk_reasons = scrub_json(order.risk_reasons, needles)
    Order.objects.bulk_update(orders, ["risk_reasons"])


def scrub_json(value, needles: set[str]):
    """``value`` (JSON: text, lists, objects, numbers) with every needle (an email, an IP
    address) replaced by "[erased]" in its texts and keys, whatever the letters' case."""
    if not needles:
        return value
    pattern = re.compile("|".join(re.escape(needle) for needle in
                                  sorted(needles, key=len, reverse=True)), re.IGNORECASE)

    def clean(item, depth=0):
        if isinstance(item, str):
            return pattern.sub("[erased]", item)
        if depth > 50:  # the shop writes shallow JSON; deeper is nobody's data
            return None
        if isinstance(item, list):
            return [clean(element, depth + 1) for element in item]
        if isinstance(item, dict):
            return {clean(key, depth + 1): clean(element, depth + 1)
                    for key, element in item.items()}
        return item

    return clean(value)


def _scrub_timeline(order_ids: list[int], needles: set[str]) -> None:
    """The orders' timeline messages and their ``data`` JSON without the person's emails
    and IP addresses (any case): two queries, the events read and the changed ones written."""
    if not needles:
        return
    events = list(OrderEvent.objects.filter(order_id__in=order_ids).only("pk", "message",
                                                                            "data"))
    changed = []
    for event in events:
        message, data = scrub_json(event.message, needles), scrub_json(event.data, needles)
        if message != event.message or data != event.data:
            event.message, event.data = message, data
            changed.append(event)
    if changed:
        OrderEvent.objects.bulk_update(changed, ["message", "data"], batch_size=500)


def register() -> None:
    register_personal_data("addresses", export=export_addresses, erase=erase_addresses,
                           order=20)
    register_personal_data("carts", export=export_carts, erase=erase_carts, order=30)
    # After the sections that find the person's orders through them (payments, shipments,
    # returns), before the account.
    register_personal_data("orders", export=export_orders, erase=erase_orders, order=70)
