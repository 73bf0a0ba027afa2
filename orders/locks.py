"""Locking querysets for carts and orders (``select_for_update``; rows locked by key)."""

import uuid
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db import router
from django.db.models import Q

from kernel.errors import NotFound
from kernel.prepared import NO_UUID, SENTINEL, PreparedRead

from .exceptions import CheckoutIncomplete
from .models import Cart, Order, StockShortfall, Voucher


@dataclass(frozen=True)
class CartKey:
    """A cart as a shopper's request names it: its token, and who asks (``user_id``, None
    for a guest). A service given one finds and locks the cart in one statement, and a
    customer's cart answers only to that customer (anyone else: "No such cart.", 404)."""

    token: uuid.UUID
    user_id: int | None = None


def cart_for_update(cart_id: int) -> Cart:
    """The cart locked, with its addresses and voucher (read, not locked)."""
    try:
        return (Cart.objects.select_for_update(of=("self",))
                .select_related("shipping_address", "billing_address", "voucher").get(pk=cart_id))
    except Cart.DoesNotExist:
        raise NotFound("That cart no longer exists.") from None


def lock_cart(cart: Cart | CartKey) -> Cart:
    """The cart locked (``cart_for_update``): by its id, or by a request's ``CartKey``,
    whose owner check is part of the locking query (a guest's cart, or the asker's own)."""
    if not isinstance(cart, CartKey):
        return cart_for_update(cart.pk)
    using = router.db_for_write(Cart)
    try:  # a token given as text is taken as the ORM takes it; a malformed one finds nothing
        if cart.user_id:
            found = _CUSTOMER_CART.first(cart.token, cart.user_id, using=using)
        else:
            found = _GUEST_CART.first(cart.token, using=using)
    except ValueError:
        found = None
    if found is None:
        raise NotFound("No such cart.")
    return found


def _carts_for_update(owner: Q, token: uuid.UUID):
    return (Cart.objects.select_for_update(of=("self",))
            .select_related("shipping_address", "billing_address", "voucher")
            .filter(owner, token=token)[:1])


# The checkout locks its cart on every step: the locking read is compiled once per process.
_GUEST_CART = PreparedRead(lambda token: _carts_for_update(Q(user__isnull=True), token),
                           sentinel=NO_UUID)
_CUSTOMER_CART = PreparedRead(
    lambda token, user_id: _carts_for_update(Q(user__isnull=True) | Q(user_id=user_id), token),
    sentinels=(NO_UUID, SENTINEL))


def active_account_for_order(user_id: int) -> None:
    """Lock the buyer's account row (``FOR NO KEY UPDATE``, before any cart or order row:
    closing an account locks the account first, then its orders and carts) and refuse an
    account that is no longer active, so an order can't slip in while it is being closed."""
    account = (get_user_model().objects.select_for_update(no_key=True)
               .filter(pk=user_id).values_list("is_active", flat=True).first())
    if not account:
        raise CheckoutIncomplete("This account is closed or disabled and can't place orders.",
                                 code="account_inactive")


def order_for_update(order_id: int, *, with_addresses: bool = False) -> Order:
    """The order locked; ``with_addresses`` reads its shipping and billing addresses in the
    same statement (joined, not locked)."""
    read = _ORDER_WITH_ADDRESSES if with_addresses else _ORDER
    order = read.first(order_id, using=router.db_for_write(Order))
    if order is None:
        raise NotFound("No such order.")
    return order


def _orders_for_update(order_id: int, *, with_addresses: bool):
    orders = Order.objects.select_for_update(of=("self",))
    if with_addresses:
        orders = orders.select_related("shipping_address", "billing_address")
    return orders.filter(pk=order_id)


# Paying, capturing and fulfilling lock the order, often twice a request: compiled once.
_ORDER = PreparedRead(lambda order_id: _orders_for_update(order_id, with_addresses=False))
_ORDER_WITH_ADDRESSES = PreparedRead(
    lambda order_id: _orders_for_update(order_id, with_addresses=True))


def voucher_for_update(voucher_id: int) -> Voucher:
    return Voucher.objects.select_for_update(of=("self",)).get(pk=voucher_id)


def shortfall_for_update(shortfall_id) -> StockShortfall:
    """A stock shortfall locked, after its order (``shortfall.order`` is the order, locked
    too): the order first, as ``cancel_order`` takes them when it closes an order's open
    shortfalls, so a shortfall decision and a cancel of the same order are serialized
    without a deadlock."""
    try:
        order_id = (StockShortfall.objects.filter(pk=shortfall_id)
                    .values_list("order_id", flat=True).first())
    except (ValueError, TypeError):
        order_id = None
    if order_id is None:
        raise NotFound("No such stock shortfall.")
    order = order_for_update(order_id)
    shortfall = StockShortfall.objects.select_for_update(of=("self",)).get(pk=shortfall_id)
    shortfall.order = order
    return shortfall


def open_shortfalls_for_update(order: Order) -> list[StockShortfall]:
    """The order's open stock shortfalls, locked (call with the order locked)."""
    return list(StockShortfall.objects.select_for_update(of=("self",))
                .filter(order=order, state__in=StockShortfall.OPEN_STATES).order_by("pk"))
