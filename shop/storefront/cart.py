"""The shopper's cart for a request: the customer's own when logged in, else the guest cart
whose id the session holds."""

from __future__ import annotations

from django.conf import settings
from django.db.models import Sum

from orders import services as order_services
from orders.models import Cart, CartLine

SESSION_KEY = "cart_id"


def current_cart(request, *, create: bool = False) -> Cart | None:
    """The open cart of this shopper; with ``create``, one is made when there is none."""
    cached = getattr(request, "_cart", None)
    if cached is not None and cached.status == Cart.Status.OPEN:
        return cached
    user = request.user
    cart = None
    if user.is_authenticated:
        cart = Cart.objects.filter(user=user, status=Cart.Status.OPEN).first()
    else:
        cart_id = request.session.get(SESSION_KEY)
        if cart_id:
            cart = Cart.objects.filter(pk=cart_id, user__isnull=True,
                                       status=Cart.Status.OPEN).first()
    if cart is None and create:
        cart = order_services.get_or_create_cart(user=user)
    if cart is not None and not user.is_authenticated and \
            request.session.get(SESSION_KEY) != cart.pk:
        request.session[SESSION_KEY] = cart.pk
    request._cart = cart
    return cart


def forget_cart(request) -> None:
    request.session.pop(SESSION_KEY, None)
    request._cart = None


def guest_cart_id(request) -> int | None:
    return request.session.get(SESSION_KEY)


def cart_quantity(request) -> int:
    """Units in the shopper's cart for the header (one query, none without a cart)."""
    user = request.user
    if user.is_authenticated:
        lines = CartLine.objects.filter(cart__user=user, cart__status=Cart.Status.OPEN)
    else:
        # Touch the session only when the browser already has one: no query otherwise.
        if settings.SESSION_COOKIE_NAME not in request.COOKIES and not request.session.session_key:
            return 0
        cart_id = request.session.get(SESSION_KEY)
        if not cart_id:
            return 0
        lines = CartLine.objects.filter(cart_id=cart_id, cart__status=Cart.Status.OPEN)
    return lines.aggregate(units=Sum("quantity"))["units"] or 0
