"""The cart page and its buttons: add, change, remove. Thin: call the cart service, show
what it says; a refusal re-renders the cart with the reason and a 4xx status."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from kernel.errors import ShopError
from orders import services as order_services
from orders.models import Address, Cart
from orders.selectors import build_checkout
from orders.services.cart import add_available_to_cart
from shop.dashboard import tracking
from shop.storefront.cart import current_cart


def _estimate_country(request: HttpRequest, cart: Cart) -> str:
    """Where the cart's shipping estimate goes before checkout has an address: a customer's
    first saved address, else the shop's country (build_checkout's default)."""
    if cart.shipping_address_id or not request.user.is_authenticated:
        return ""
    return (Address.objects.filter(user=request.user, saved=True).order_by("pk")
            .values_list("country", flat=True).first() or "")


def _render_cart(request: HttpRequest, *, error: str = "", status: int = 200) -> HttpResponse:
    cart = current_cart(request)
    view = (build_checkout(cart, estimate_country=_estimate_country(request, cart))
            if cart is not None else None)
    return render(request, "checkout/cart.html", {"checkout": view, "error": error},
                  status=status)


@require_GET
def cart_page(request: HttpRequest) -> HttpResponse:
    return _render_cart(request)


@require_POST
def add(request: HttpRequest) -> HttpResponse:
    """Add to cart from the product page. Only the variant id and quantity are read: the
    price always comes from the catalog. Asking for more than is in stock adds what is
    available and says so."""
    cart = current_cart(request, create=True)
    try:
        addition = add_available_to_cart(cart=cart, variant_id=request.POST.get("variant"),
                                         quantity=request.POST.get("quantity", "1"))
    except ShopError as error:
        return _render_cart(request, error=error.message, status=error.status_code)
    tracking.record(request, "add_to_cart")
    if addition.short:
        messages.warning(request, addition.message)
    else:
        messages.success(request, addition.message)
    return redirect("checkout:cart")


@require_POST
def update(request: HttpRequest) -> HttpResponse:
    cart = current_cart(request)
    if cart is None:
        return _render_cart(request, error="Your cart is empty.", status=400)
    try:
        line = order_services.set_cart_quantity(cart=cart, variant_id=request.POST.get("variant"),
                                                quantity=request.POST.get("quantity"))
    except ShopError as error:
        return _render_cart(request, error=error.message, status=error.status_code)
    messages.success(request, f"Updated {line.variant}: {line.quantity} in your cart."
                     if line else "Removed the item from your cart.")
    return redirect("checkout:cart")


@require_POST
def remove(request: HttpRequest) -> HttpResponse:
    cart = current_cart(request)
    if cart is None:
        return _render_cart(request, error="Your cart is empty.", status=400)
    try:
        order_services.remove_from_cart(cart=cart, variant_id=request.POST.get("variant"))
    except ShopError as error:
        return _render_cart(request, error=error.message, status=error.status_code)
    messages.success(request, "Removed the item from your cart.")
    return redirect("checkout:cart")
