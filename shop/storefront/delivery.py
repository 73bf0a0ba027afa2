"""The product page's delivery promise for this shopper: to the country of the address
their cart ships to, ``SHOP_COUNTRY`` until one is known."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.http import HttpRequest

from orders.delivery_promise import DeliveryPromise, delivery_promises
from orders.models import Cart

from .cart import SESSION_KEY


def shopper_country(request: HttpRequest) -> str:
    """The country of the cart's shipping address (one query, none for a guest without a
    cart), else SHOP_COUNTRY."""
    if request.user.is_authenticated:
        owner = {"user": request.user}
    else:
        # A guest without a cart (most product views) costs nothing, not even a query built.
        cart_id = request.session.get(SESSION_KEY) if hasattr(request, "session") else None
        if not cart_id:
            return settings.SHOP_COUNTRY
        owner = {"pk": cart_id, "user__isnull": True}
    carts = Cart.objects.filter(status=Cart.Status.OPEN, shipping_address__isnull=False,
                                **owner)
    country = carts.values_list("shipping_address__country", flat=True).first()
    return country or settings.SHOP_COUNTRY


def promises_for(request: HttpRequest, variants, *,
                 now: datetime | None = None) -> dict[int, DeliveryPromise]:
    return delivery_promises(variants=variants, country=shopper_country(request), now=now)
