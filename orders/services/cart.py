"""Cart writes: add, change, remove, merge on login. Each locks the cart row, so a double
click can't add twice past the stock limit."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, router, transaction

from catalog.models import Variant
from inventory.models import StockLevel
from inventory.selectors import (
    available_from_levels,
    available_to_sell,
    joined_level_columns,
    sellable_level_from_row,
)
from kernel.prepared import PreparedRead

from .. import locks
from ..exceptions import CartError, OutOfStock
from ..locks import CartKey
from ..models import Cart, CartLine
from ..selectors import CartItem, CheckoutView, cart_lines_and_levels


def parse_quantity(value, *, allow_zero: bool = False) -> int:
    """A quantity a person sent: a whole number from 1 (or 0 to remove) to the line limit."""
    if isinstance(value, bool):
        raise CartError("Quantity must be a whole number.")
    try:
        quantity = int(str(value).strip())
    except (TypeError, ValueError):
        raise CartError("Quantity must be a whole number.") from None
    if quantity < (0 if allow_zero else 1):
        raise CartError("Quantity must be at least 1." if not allow_zero
                        else "Quantity can't be negative.")
    if quantity > settings.SHOP_MAX_LINE_QUANTITY:
        raise CartError(f"You can buy at most {settings.SHOP_MAX_LINE_QUANTITY} of one item.")
    return quantity


def sellable_variant(variant_id) -> Variant:
    """The variant if it may be sold."""
    try:
        variant = Variant.objects.select_related("product").get(pk=int(variant_id))
    except (TypeError, ValueError, OverflowError, Variant.DoesNotExist):
        raise CartError("That item doesn't exist.", code="unknown_variant") from None
    if not variant.is_active or not variant.product.is_published:
        raise CartError(f"{variant} is no longer sold.", code="variant_unavailable")
    return variant


# Adding to a cart reads the variant with its stock: the read is compiled once per process.
_VARIANT_AND_LEVELS = PreparedRead(
    lambda variant_id: Variant.objects.select_related("product")
    .annotate(**joined_level_columns("stock_levels"))
    .filter(pk=variant_id).order_by("joined_level_id"))


def sellable_variant_and_levels(variant_id) -> tuple[Variant, list[StockLevel]]:
    """``sellable_variant`` and its stock levels in active warehouses, with their
    warehouse, in one query (the levels joined to the variant, a row per level)."""
    try:
        rows = _VARIANT_AND_LEVELS.objects(int(variant_id), using=router.db_for_read(Variant))
    except (TypeError, ValueError, OverflowError):
        rows = []
    if not rows:
        raise CartError("That item doesn't exist.", code="unknown_variant")
    variant = rows[0]
    if not variant.is_active or not variant.product.is_published:
        raise CartError(f"{variant} is no longer sold.", code="variant_unavailable")
    warehouses: dict = {}
    levels = [level for level in (sellable_level_from_row(row, warehouses) for row in rows)
              if level is not None]
    return variant, levels


def _check_available(variant: Variant, quantity: int, *, in_cart: int = 0) -> None:
    available = available_to_sell(variant_ids=[variant.pk])[variant.pk]
    if quantity > available:
        if available == 0:
            raise OutOfStock(f"{variant} is out of stock.")
        held = f" (you have {in_cart} in your cart)" if in_cart else ""
        raise OutOfStock(f"Only {available} of {variant} left{held}.")


def get_or_create_cart(*, user=None, cart_id: int | None = None) -> Cart:
    """The shopper's open cart: the user's when logged in, else the session's guest cart,
    created when missing."""
    if user is not None and user.is_authenticated:
        cart = Cart.objects.filter(user=user, status=Cart.Status.OPEN).first()
        if cart:
            return cart
        try:
            with transaction.atomic():
                return Cart.objects.create(user=user, email=user.email or "")
        except IntegrityError:  # a parallel request created it first
            return Cart.objects.get(user=user, status=Cart.Status.OPEN)
    if cart_id:
        cart = Cart.objects.filter(pk=cart_id, user__isnull=True, status=Cart.Status.OPEN).first()
        if cart:
            return cart
    return Cart.objects.create()


def add_to_cart(*, cart: Cart | CartKey, variant_id, quantity=1) -> CartLine:
    """Add units of a variant, refusing unknown, inactive or unpublished variants and more
    units than can be sold.

    Guarantees: the line's quantity never exceeds what is available (checked under the
    cart's lock) nor SHOP_MAX_LINE_QUANTITY.
    """
    quantity = parse_quantity(quantity)
    variant = sellable_variant(variant_id)
    with transaction.atomic():
        cart = locks.lock_cart(cart)
        _ensure_open(cart)
        line = CartLine.objects.filter(cart=cart, variant=variant).first()
        current = line.quantity if line else 0
        new_quantity = current + quantity
        if new_quantity > settings.SHOP_MAX_LINE_QUANTITY:
            raise CartError(f"You can buy at most {settings.SHOP_MAX_LINE_QUANTITY} of one item.")
        _check_available(variant, new_quantity, in_cart=current)
        if line:
            line.quantity = new_quantity
            line.save(update_fields=["quantity"])
        else:
            line = CartLine.objects.create(cart=cart, variant=variant, quantity=quantity)
        cart.save(update_fields=["updated_at"])
        return line


@dataclass(frozen=True)
class CartAddition:
    """What ``add_available_to_cart`` did: ``added`` of the ``requested`` units went in."""

    line: CartLine
    requested: int
    added: int
    cart: Cart | None = None  # the cart as locked, its lines and stock on ``checkout_view``

    @property
    def short(self) -> bool:
        return self.added < self.requested

    @property
    def message(self) -> str:
        if not self.short:
            return f"Added {self.added} × {self.line.variant} to your cart."
        return (f"Only {self.added} more of {self.line.variant} "
                f"{'was' if self.added == 1 else 'were'} available, so we added "
                f"{self.added} (not {self.requested}); you have {self.line.quantity} "
                f"in your cart.")


def add_available_to_cart(*, cart: Cart | CartKey, variant_id, quantity=1) -> CartAddition:
    """Add up to ``quantity`` units of a variant: as many as can be sold, when that is
    fewer than asked. Refused (``OutOfStock``) only when not one more unit can be added.

    Guarantees: as ``add_to_cart``; the line never exceeds what is available nor
    SHOP_MAX_LINE_QUANTITY, both checked under the cart's lock. The cart's lines and their
    stock are read under the lock (one query) and left on ``cart.checkout_view``, the
    new line among them, so a caller answers without reading them again.
    """
    quantity = parse_quantity(quantity)
    # Availability is read with the variant, just before the cart's lock: the lock guards
    # the cart's own line; stock is not held by it either way (placing the order does that).
    variant, variant_levels = sellable_variant_and_levels(variant_id)
    with transaction.atomic():
        cart = locks.lock_cart(cart)
        _ensure_open(cart)
        lines, levels = cart_lines_and_levels(cart, images=False)
        line = next((line for line in lines if line.variant_id == variant.pk), None)
        current = line.quantity if line else 0
        available = available_from_levels(variant_levels).get(variant.pk, 0)
        room = min(available, settings.SHOP_MAX_LINE_QUANTITY) - current
        if room <= 0:
            if current >= settings.SHOP_MAX_LINE_QUANTITY:
                raise CartError(
                    f"You can buy at most {settings.SHOP_MAX_LINE_QUANTITY} of one item.")
            if available == 0:
                raise OutOfStock(f"{variant} is out of stock.")
            raise OutOfStock(f"Only {available} of {variant} left "
                             f"(you have {current} in your cart).")
        added = min(quantity, room)
        if line:
            line.quantity = current + added
            line.save(update_fields=["quantity"])
        else:
            line = CartLine.objects.create(cart=cart, variant=variant, quantity=added)
            lines.append(line)
        line.variant = variant
        cart.save(update_fields=["updated_at"])
        levels = [level for level in levels if level.variant_id != variant.pk] + variant_levels
        cart.checkout_view = CheckoutView(
            cart=cart, items=[CartItem(each, 0) for each in lines], stock_levels=levels)
        return CartAddition(line=line, requested=quantity, added=added, cart=cart)


def set_cart_quantity(*, cart: Cart | CartKey, variant_id, quantity) -> CartLine | None:
    """Set a line's quantity; 0 removes it. Lowering is always allowed."""
    quantity = parse_quantity(quantity, allow_zero=True)
    with transaction.atomic():
        cart = locks.lock_cart(cart)
        _ensure_open(cart)
        try:
            line = CartLine.objects.select_related("variant__product").get(
                cart=cart, variant_id=int(variant_id))
        except (TypeError, ValueError, OverflowError, CartLine.DoesNotExist):
            raise CartError("That item is not in your cart.", code="not_in_cart") from None
        if quantity == 0:
            line.delete()
            return None
        if quantity > line.quantity:
            variant = sellable_variant(line.variant_id)
            _check_available(variant, quantity)
        line.quantity = quantity
        line.save(update_fields=["quantity"])
        cart.save(update_fields=["updated_at"])
        return line


def remove_from_cart(*, cart: Cart | CartKey, variant_id) -> None:
    set_cart_quantity(cart=cart, variant_id=variant_id, quantity=0)


def merge_carts(*, guest_cart: Cart | None, user) -> Cart:
    """On login: move the guest cart's lines into the customer's cart, adding quantities,
    each capped by what is available. The guest cart is marked merged."""
    with transaction.atomic():
        cart = get_or_create_cart(user=user)
        if guest_cart is None or guest_cart.pk == cart.pk:
            return cart
        cart = locks.cart_for_update(cart.pk)
        guest = locks.cart_for_update(guest_cart.pk)
        if guest.status != Cart.Status.OPEN or guest.user_id not in (None, user.pk):
            return cart
        existing = {line.variant_id: line for line in CartLine.objects.filter(cart=cart)}
        guest_lines = list(CartLine.objects.filter(cart=guest))
        available = available_to_sell(variant_ids=[line.variant_id for line in guest_lines])
        for guest_line in guest_lines:
            line = existing.get(guest_line.variant_id)
            wanted = guest_line.quantity + (line.quantity if line else 0)
            capped = min(wanted, available.get(guest_line.variant_id, 0),
                         settings.SHOP_MAX_LINE_QUANTITY)
            if line and capped > line.quantity:
                line.quantity = capped
                line.save(update_fields=["quantity"])
            elif not line and capped > 0:
                CartLine.objects.create(cart=cart, variant_id=guest_line.variant_id,
                                        quantity=capped)
        for field in ("shipping_address_id", "billing_address_id", "shipping_method_id",
                      "voucher_id"):
            if getattr(cart, field) is None and getattr(guest, field) is not None:
                setattr(cart, field, getattr(guest, field))
        if not cart.email:
            cart.email = user.email or guest.email
        cart.save()
        guest.status = Cart.Status.MERGED
        guest.save(update_fields=["status", "updated_at"])
        return cart


def _ensure_open(cart: Cart) -> None:
    if cart.status != Cart.Status.OPEN:
        raise CartError("This cart has already been checked out.", code="cart_closed")
