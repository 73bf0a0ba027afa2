"""Locking querysets for carts and orders (``select_for_update``; rows locked by key)."""

from django.contrib.auth import get_user_model

from kernel.errors import NotFound

from .exceptions import CheckoutIncomplete
from .models import Cart, Order, StockShortfall, Voucher


def cart_for_update(cart_id: int) -> Cart:
    """The cart locked, with its addresses and voucher (read, not locked)."""
    try:
        return (Cart.objects.select_for_update(of=("self",))
                .select_related("shipping_address", "billing_address", "voucher").get(pk=cart_id))
    except Cart.DoesNotExist:
        raise NotFound("That cart no longer exists.") from None


def active_account_for_order(user_id: int) -> None:
    """Lock the buyer's account row (``FOR NO KEY UPDATE``, before any cart or order row:
    closing an account locks the account first, then its orders and carts) and refuse an
    account that is no longer active, so an order can't slip in while it is being closed."""
    account = (get_user_model().objects.select_for_update(no_key=True)
               .filter(pk=user_id).values_list("is_active", flat=True).first())
    if not account:
        raise CheckoutIncomplete("This account is closed or disabled and can't place orders.",
                                 code="account_inactive")


def order_for_update(order_id: int) -> Order:
    try:
        return Order.objects.select_for_update(of=("self",)).get(pk=order_id)
    except Order.DoesNotExist:
        raise NotFound("No such order.") from None


def voucher_for_update(voucher_id: int) -> Voucher:
    return Voucher.objects.select_for_update(of=("self",)).get(pk=voucher_id)


def shortfall_for_update(shortfall_id) -> StockShortfall:
    """A stock shortfall and its order (the order is read, not locked)."""
    try:
        return (StockShortfall.objects.select_for_update(of=("self",))
                .select_related("order").get(pk=shortfall_id))
    except (StockShortfall.DoesNotExist, ValueError, TypeError):
        raise NotFound("No such stock shortfall.") from None
