"""The abandoned-checkout email's link: restores the cart on any device, re-checked, and
lands on the cart page, which says what changed. Thin: the marketing service decides."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from kernel.errors import ShopError
from marketing.links import reminder_from_restore_token
from marketing.recovery import restore_cart as restore_reminded_cart
from shop.storefront.cart import SESSION_KEY


@require_GET
def restore_cart(request: HttpRequest, token: str) -> HttpResponse:
    named = reminder_from_restore_token(token)
    if named is None:
        return render(request, "checkout/restore_invalid.html", status=400)
    cart_id, number = named
    try:
        restoration = restore_reminded_cart(cart_id=cart_id, number=number, user=request.user)
    except ShopError as error:
        return render(request, "checkout/restore_invalid.html", {"error": error.message},
                      status=error.status_code)
    if not request.user.is_authenticated:
        request.session[SESSION_KEY] = restoration.cart.pk
    request._cart = None
    for change in restoration.changes:
        messages.warning(request, change["message"])
    if not restoration.changes:
        messages.success(request, "Welcome back: your cart is as you left it.")
    return redirect("checkout:cart")
