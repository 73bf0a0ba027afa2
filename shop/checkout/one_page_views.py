"""The one-page checkout at /checkout/: contact, shipping address, delivery, billing, and
the order summary with the voucher field beside it, on one page.

Each section is its own form that posts here with ``section=...`` and works without
JavaScript: a saved section redirects back to the page (at the next section), a refused one
re-renders the page with that section's errors and a 4xx status. "Place order" posts to the
review URL as before. The step pages (/checkout/contact/ ... /checkout/review/) stay as
fallbacks and call the same services.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from kernel.errors import ShopError
from orders import services as order_services
from orders.countries import country_name
from orders.exceptions import AddressInvalid
from orders.forms import AddressForm
from orders.models import Address, Cart
from orders.selectors import build_checkout
from shop.dashboard import tracking
from shop.storefront.cart import current_cart
from shop.web.rate_limits import rate_limited

from .forms import BillingChoiceForm, EmailStepForm, VoucherForm
from .steps_views import (
    _preselected,
    _saved_addresses,
    record_checkout_opt_in,
    show_address_refusal,
)

SECTIONS = ("contact", "address", "shipping", "billing", "voucher")


def _address_initial(address: Address | None, country: str) -> dict:
    return address.as_dict() if address else {"country": country}


def _posted_as_initial(form_class, request: HttpRequest, prefix: str | None = None, **kwargs):
    """The form again, unbound but showing what was typed: "Update" after a country change
    re-shows the address for that country (its states, its postal code) without errors."""
    names = Address.FIELDS
    initial = {name: request.POST.get(f"{prefix}-{name}" if prefix else name, "")
               for name in names}
    return form_class(initial=initial, prefix=prefix, **kwargs)


def _page(request: HttpRequest, cart: Cart, *, status: int = 200, **forms) -> HttpResponse:
    checkout = build_checkout(cart)
    saved = _saved_addresses(request)
    missing = checkout.missing_steps()
    context = {
        "checkout": checkout,
        "missing": missing,
        "saved": saved,
        "chosen": forms.pop("chosen", None) or _preselected(saved, cart),
        "contact_form": forms.pop("contact_form", None) or EmailStepForm(initial={
            "email": cart.email or (request.user.email if request.user.is_authenticated
                                    else "")}),
        "address_form": forms.pop("address_form", None) or AddressForm(
            initial=_address_initial(cart.shipping_address, settings.SHOP_COUNTRY)),
        "billing_choice": forms.pop("billing_choice", None) or BillingChoiceForm(
            initial={"same_as_shipping": cart.billing_same_as_shipping}),
        "billing_form": forms.pop("billing_form", None) or AddressForm(
            prefix="billing", initial=_address_initial(
                cart.billing_address,
                cart.shipping_address.country if cart.shipping_address
                else settings.SHOP_COUNTRY)),
        "voucher_form": forms.pop("voucher_form", None) or VoucherForm(),
        "estimate_country_name": country_name(checkout.estimate_country or ""),
        "now": timezone.now(),
        "shop_time_zone": settings.SHOP_TIME_ZONE,
        **forms,
    }
    return render(request, "checkout/one_page.html", context, status=status)


@require_http_methods(["GET", "POST"])
def one_page(request: HttpRequest) -> HttpResponse:
    cart = current_cart(request)
    if cart is None or not cart.lines.exists():
        if request.method == "POST":
            messages.info(request, "Your cart is empty.")
        return redirect("checkout:cart")
    tracking.record(request, "checkout_started")
    if request.method == "GET":
        return _page(request, cart)
    section = request.POST.get("section", "")
    if section not in SECTIONS:
        return _page(request, cart, status=400,
                     error="Choose a section of the checkout to save.")
    return SAVE[section](request, cart)


def _next(section: str) -> HttpResponse:
    return redirect(reverse("checkout:start") + f"#{section}")


def _save_contact(request: HttpRequest, cart: Cart) -> HttpResponse:
    form = EmailStepForm(request.POST)
    if form.is_valid():
        try:
            order_services.set_checkout_email(cart=cart, email=form.cleaned_data["email"])
            record_checkout_opt_in(request, form)
            return _next("address")
        except ShopError as error:
            form.add_error("email", error.message)
    return _page(request, cart, status=400, contact_form=form, focus="contact")


def _save_address(request: HttpRequest, cart: Cart) -> HttpResponse:
    if "country_changed" in request.POST:
        return _page(request, cart, address_form=_posted_as_initial(AddressForm, request),
                     chosen="new", focus="address")
    saved = _saved_addresses(request)
    chosen = request.POST.get("saved_address", "new") if saved else "new"
    form = AddressForm(request.POST)
    data = request.POST
    if chosen != "new":
        match = next((a for a in saved if str(a.pk) == chosen), None)
        if match is None:
            return _page(request, cart, status=400, chosen="new", focus="address",
                         address_error="Choose one of your saved addresses, or enter a new "
                                       "one.")
        data = match.as_dict()
    try:
        order_services.set_shipping_address(
            cart=cart, address=data,
            save_to_book=chosen == "new" and bool(request.POST.get("save_address")))
    except AddressInvalid as error:
        show_address_refusal(form, error)
        return _page(request, cart, status=400, address_form=form, chosen=chosen,
                     focus="address")
    except ShopError as error:
        return _page(request, cart, status=error.status_code, address_form=form, chosen=chosen,
                     focus="address", address_error=error.message)
    return _next("shipping")


def _save_shipping(request: HttpRequest, cart: Cart) -> HttpResponse:
    try:
        order_services.set_shipping_method(cart=cart, method_id=request.POST.get("method"))
    except ShopError as error:
        return _page(request, cart, status=error.status_code, shipping_error=error.message,
                     focus="shipping")
    return _next("billing")


def _save_billing(request: HttpRequest, cart: Cart) -> HttpResponse:
    if "country_changed" in request.POST:
        return _page(request, cart, focus="billing",
                     billing_choice=BillingChoiceForm(initial={"same_as_shipping": False}),
                     billing_form=_posted_as_initial(AddressForm, request, prefix="billing"))
    choice = BillingChoiceForm(request.POST)
    form = AddressForm(request.POST, prefix="billing")
    choice.is_valid()
    same = choice.cleaned_data.get("same_as_shipping", False)
    data = {name: request.POST.get(f"billing-{name}", "") for name in Address.FIELDS}
    try:
        order_services.set_billing_address(cart=cart, same_as_shipping=same,
                                           address=None if same else data)
    except AddressInvalid as error:
        show_address_refusal(form, error)
        return _page(request, cart, status=400, billing_choice=choice, billing_form=form,
                     focus="billing")
    except ShopError as error:
        return _page(request, cart, status=error.status_code, billing_choice=choice,
                     billing_form=form, focus="billing", billing_error=error.message)
    return _next("summary")


@rate_limited("voucher")
def _save_voucher(request: HttpRequest, cart: Cart) -> HttpResponse:
    if request.POST.get("action") == "remove":
        try:
            order_services.remove_voucher(cart=cart)
        except ShopError as error:
            return _page(request, cart, status=error.status_code, voucher_error=error.message,
                         focus="summary")
        messages.success(request, "Voucher removed.")
        return _next("summary")
    form = VoucherForm(request.POST)
    if form.is_valid():
        try:
            applied = order_services.apply_voucher(cart=cart, code=form.cleaned_data["code"])
            messages.success(request, f"Voucher {applied.code} applied: {applied.describe()}.")
            return _next("summary")
        except ShopError as error:
            form.add_error("code", error.message)
    return _page(request, cart, status=400, voucher_form=form, focus="summary")


SAVE = {"contact": _save_contact, "address": _save_address, "shipping": _save_shipping,
        "billing": _save_billing, "voucher": _save_voucher}
