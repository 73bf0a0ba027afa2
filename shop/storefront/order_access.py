"""Which orders this browser may pay and see on the checkout pages: those it placed, a
logged-in customer's own, and one opened through its signed guest link (the link is the
shopper's key; following it from the "awaiting payment" email lets them pay)."""

from __future__ import annotations

from django.http import HttpRequest

from orders.models import Order

# The session key listing the orders this browser may see (a guest may see those).
PLACED_ORDERS = "placed_orders"


def remember_order(request: HttpRequest, order: Order) -> None:
    placed = request.session.get(PLACED_ORDERS, [])
    if order.pk not in placed:
        request.session[PLACED_ORDERS] = [*placed[-19:], order.pk]


def may_see_order(request: HttpRequest, order: Order) -> bool:
    if request.user.is_authenticated and order.user_id == request.user.pk:
        return True
    return order.pk in request.session.get(PLACED_ORDERS, [])
