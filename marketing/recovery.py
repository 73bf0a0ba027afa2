"""Abandoned checkout recovery: reminders for carts that reached the email step and did
not become an order, and restoring such a cart from the reminder's signed link.

- ``send_cart_reminder`` (one per cart and number, first or optional second) is written
  under the cart's lock, only for an open, non-empty, un-ordered cart whose address may
  be emailed; the email itself goes through ``marketing.mail`` and a send guard checks the
  cart again, under its lock, when the email is delivered.
- ``restore_cart`` makes the cart the shopper's (or copies its lines into a fresh cart
  when it can't be reused: ordered, merged, or someone else's account), re-checks prices
  against what the email showed and stock against what is available, and records a
  ``CartRecovery``. The order placed from the restored cart is recovered revenue.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from inventory.selectors import available_to_sell
from kernel.errors import NotFound
from kernel.money import Money
from orders import locks as order_locks
from orders.models import Cart, CartLine, Order
from orders.services import get_or_create_cart

from .consent import may_email_marketing, normalise_email
from .delivery import register_send_guard
from .links import restore_url
from .mail import send_marketing_email
from .models import CartRecovery, CartReminder, MarketingEmail

KIND = "cart_reminder"
SUBJECTS = {1: "You left something in your cart", 2: "Your cart is still waiting"}
BATCH = 500


def register() -> None:
    register_send_guard(KIND, reminder_send_guard)


def reminder_after(number: int):
    """How long after a cart's last change its reminder ``number`` is due, or None when
    that reminder is switched off (0/None; a second not later than the first is off)."""
    first = settings.CART_RECOVERY_FIRST_AFTER
    if not first:
        return None
    if number == 1:
        return first
    second = settings.CART_RECOVERY_SECOND_AFTER
    return second if second and second > first else None


def _ordered(cart: Cart):
    return Order.objects.filter(checkout_token=cart.token)


def due_cart_ids(*, number: int, now: datetime | None = None) -> list[int]:
    """Carts due reminder ``number`` now (one query): open, with an email and lines, no
    order, idle for the configured time but not older than CART_RECOVERY_MAX_AGE, not yet
    reminded with this number; for the second, the first was sent and not followed."""
    after = reminder_after(number)
    if after is None:
        return []
    now = now or timezone.now()
    carts = (Cart.objects.filter(status=Cart.Status.OPEN, updated_at__lte=now - after,
                                 updated_at__gte=now - settings.CART_RECOVERY_MAX_AGE)
             .exclude(email="")
             .filter(Exists(CartLine.objects.filter(cart=OuterRef("pk"))))
             .exclude(Exists(Order.objects.filter(checkout_token=OuterRef("token"))))
             .exclude(Exists(CartReminder.objects.filter(cart=OuterRef("pk"), number=number))))
    if number == 2:
        carts = (carts.filter(Exists(CartReminder.objects.filter(
                    cart=OuterRef("pk"), number=1, email__status=MarketingEmail.Status.SENT)))
                 .exclude(Exists(CartRecovery.objects.filter(cart=OuterRef("pk")))))
    return list(carts.order_by("updated_at", "pk").values_list("pk", flat=True)[:BATCH])


def send_cart_reminder(*, cart_id: int, number: int, now: datetime | None = None) -> bool:
    """Write reminder ``number`` for a cart and queue its email. Returns True when queued.

    Checked under the cart's lock: the cart is open, has lines and an email, has no order,
    has been idle long enough, the address may be emailed, and this reminder was not sent
    before (a unique constraint backs that: a task run twice writes one reminder).
    """
    after = reminder_after(number)
    if after is None:
        return False
    now = now or timezone.now()
    with transaction.atomic():
        cart = order_locks.cart_for_update(cart_id)
        if (cart.status != Cart.Status.OPEN or not cart.email
                or cart.updated_at > now - after or _ordered(cart).exists()
                or CartReminder.objects.filter(cart=cart, number=number).exists()
                or not may_email_marketing(cart.email)):
            return False
        lines = list(CartLine.objects.filter(cart=cart)
                     .select_related("variant__product").order_by("created_at", "pk"))
        if not lines:
            return False
        dedupe_key = f"cart-reminder:{cart.pk}:{number}"
        context = {
            "number": number,
            "restore_url": restore_url(cart.pk, number),
            "lines": [{"title": line.variant.product.title, "variant": str(line.variant),
                       "quantity": line.quantity,
                       "price": str(Money(line.variant.price, line.variant.currency))}
                      for line in lines],
        }
        if not send_marketing_email(to=cart.email, subject=SUBJECTS[number],
                                    template="marketing/cart_reminder", context=context,
                                    kind=KIND, dedupe_key=dedupe_key):
            return False
        try:
            with transaction.atomic():
                CartReminder.objects.create(
                    cart=cart, number=number,
                    email=MarketingEmail.objects.get(dedupe_key=dedupe_key),
                    prices={str(line.variant_id): str(line.variant.price) for line in lines})
        except IntegrityError:
            transaction.set_rollback(True)  # the email row goes too: nothing is sent
            return False
    return True


def reminder_send_guard(row: MarketingEmail) -> str:
    """At delivery, under the cart's lock: no reminder for a cart ordered or emptied since."""
    reminder = CartReminder.objects.filter(email=row).only("cart_id").first()
    if reminder is None:
        return "No reminder for this email."
    cart = order_locks.cart_for_update(reminder.cart_id)
    if cart.status == Cart.Status.ORDERED or _ordered(cart).exists():
        return "The cart was ordered before the reminder went out."
    if cart.status != Cart.Status.OPEN:
        return "The cart was merged into another before the reminder went out."
    if not CartLine.objects.filter(cart=cart).exists():
        return "The cart was emptied before the reminder went out."
    return ""


@dataclass(frozen=True)
class Restoration:
    cart: Cart
    changes: list[dict]
    copied: bool


def restore_cart(*, cart_id: int, number: int, user) -> Restoration:
    """Make the reminded cart the shopper's cart, re-checked.

    The cart itself is reused when it is open, not ordered, and belongs to this shopper
    (a guest cart for a guest; the account's cart for that account). Otherwise its lines
    (and email, addresses and delivery method) are copied into the shopper's open cart (a
    new guest cart for a guest). Then every line is checked: no longer sold or sold out
    is removed, more than is available is reduced, and a unit price that differs from the
    one the email showed is reported. A ``CartRecovery`` row records it (once per
    reminder and restored cart). Raises ``NotFound`` for an unknown reminder.
    """
    reminder = CartReminder.objects.filter(cart_id=cart_id, number=number).first()
    if reminder is None:
        raise NotFound("This cart link is not valid any more.")
    signed_in = user is not None and user.is_authenticated
    with transaction.atomic():
        original = order_locks.cart_for_update(reminder.cart_id)
        reusable = (original.status == Cart.Status.OPEN and not _ordered(original).exists()
                    and ((original.user_id is None and not signed_in)
                         or (signed_in and original.user_id == user.pk)))
        if reusable:
            target = original
        else:
            target = (get_or_create_cart(user=user) if signed_in
                      else Cart.objects.create(email=original.email))
            target = order_locks.cart_for_update(target.pk)
            _copy_into(original, target)
        changes = _recheck_lines(target, reminder.prices)
        target.save(update_fields=["updated_at"])
        recovery, created = CartRecovery.objects.get_or_create(
            reminder=reminder, restored_cart=target,
            defaults={"cart": original, "changes": changes})
        if not created:
            recovery.changes = changes
            recovery.save(update_fields=["changes"])
    return Restoration(cart=target, changes=changes, copied=not reusable)


def _copy_into(source: Cart, target: Cart) -> None:
    existing = {line.variant_id: line for line in CartLine.objects.filter(cart=target)}
    for line in CartLine.objects.filter(cart=source).order_by("created_at", "pk"):
        current = existing.get(line.variant_id)
        if current is None:
            CartLine.objects.create(cart=target, variant_id=line.variant_id,
                                    quantity=line.quantity)
        elif current.quantity < line.quantity:
            current.quantity = line.quantity
            current.save(update_fields=["quantity"])
    fields = []
    if not target.email and source.email:
        target.email = normalise_email(source.email)
        fields.append("email")
    for name in ("shipping_address", "billing_address"):
        address = getattr(source, name)
        if getattr(target, f"{name}_id") is None and address is not None:
            address.pk = None  # a copy: a guest's address is edited in place at checkout
            address.user = None
            address.saved = False
            address.save()
            setattr(target, name, address)
            fields.append(name)
    if target.shipping_method_id is None and source.shipping_method_id is not None:
        target.shipping_method_id = source.shipping_method_id
        target.billing_same_as_shipping = source.billing_same_as_shipping
        fields += ["shipping_method", "billing_same_as_shipping"]
    if fields:
        target.save(update_fields=fields)


def _recheck_lines(cart: Cart, prices: dict) -> list[dict]:
    lines = list(CartLine.objects.filter(cart=cart).select_related("variant__product")
                 .order_by("created_at", "pk"))
    available = available_to_sell(variant_ids=[line.variant_id for line in lines])
    changes = []
    for line in lines:
        variant = line.variant
        name = str(variant)  # "Product — Option" (the product's title alone without options)
        if not (variant.is_active and variant.product.is_published):
            line.delete()
            changes.append({"kind": "unavailable", "item": name,
                            "message": f"{name} is no longer sold, so we removed it."})
            continue
        stock = min(available.get(line.variant_id, 0), settings.SHOP_MAX_LINE_QUANTITY)
        if stock <= 0:
            line.delete()
            changes.append({"kind": "sold_out", "item": name,
                            "message": f"{name} has sold out, so we removed it."})
            continue
        if line.quantity > stock:
            changes.append({"kind": "reduced", "item": name,
                            "message": f"Only {stock} of {name} left: we lowered your "
                                       f"quantity from {line.quantity} to {stock}."})
            line.quantity = stock
            line.save(update_fields=["quantity"])
        shown = prices.get(str(line.variant_id))
        if shown is not None and Decimal(shown) != variant.price:
            before = Money(Decimal(shown), variant.currency)
            now = Money(variant.price, variant.currency)
            changes.append({"kind": "price", "item": name,
                            "message": f"The price of {name} changed from {before} to {now}."})
    return changes
