"""The checkout steps, contact to review (fallbacks beside the one-page checkout,
``one_page_views``, which shares their helpers), and placing the order. A refused step re-renders
its page with the reason and a 4xx status; nothing is written."""

from __future__ import annotations

import uuid
from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from kernel.errors import ShopError
from kernel.forms import posted
from marketing import consent
from orders import services as order_services
from orders.exceptions import AddressInvalid, CheckoutIncomplete
from orders.forms import AddressForm
from orders.models import Address, Cart, Order
from orders.selectors import CheckoutView, build_checkout
from shop.dashboard import tracking
from shop.storefront.cart import current_cart, forget_cart
from shop.storefront.order_access import may_see_order, remember_order
from shop.web.client_ip import client_ip
from shop.web.rate_limits import rate_limited

from .forms import BillingChoiceForm, EmailStepForm, VoucherForm

STEPS = [("contact", "Contact"), ("address", "Address"), ("shipping", "Shipping"),
         ("billing", "Billing"), ("review", "Review"), ("pay", "Pay")]
STEP_KEYS = [key for key, _ in STEPS]
# missing_steps() names -> the page that fills them in.
STEP_FOR_MISSING = {"email": "contact", "address": "address", "shipping": "shipping",
                    "billing": "billing"}



def _missing_pages(checkout: CheckoutView) -> list[str]:
    return [STEP_FOR_MISSING[m] for m in checkout.missing_steps() if m in STEP_FOR_MISSING]


def progress(current: str, missing: list[str] = ()) -> list[dict]:
    """The progress bar: each step done, current or still to do, with a link back to the
    steps that can be visited (those up to the first missing one)."""
    first_missing = min((STEP_KEYS.index(step) for step in missing),
                        default=STEP_KEYS.index("review"))
    steps = []
    for index, (key, label) in enumerate(STEPS):
        if key == current:
            state = "current"
        elif current == "pay" or (index < first_missing and index < STEP_KEYS.index("review")):
            state = "done"
        else:
            state = "todo"
        linkable = current != "pay" and key not in (current, "pay") and index <= first_missing
        steps.append({"key": key, "label": label, "state": state,
                      "url": reverse(f"checkout:{key}") if linkable else ""})
    return steps


def checkout_step(name: str):
    """Load the shopper's cart for a step; an empty cart goes back to the cart page and a
    step whose earlier steps are missing goes to the first missing one (GET or POST: a
    later step is never written before an earlier one)."""
    def decorator(view):
        @wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs):
            cart = current_cart(request)
            if cart is None or not cart.lines.exists():
                messages.info(request, "Your cart is empty.")
                return redirect("checkout:cart")
            checkout = build_checkout(cart)
            earlier = [m for m in _missing_pages(checkout)
                       if STEP_KEYS.index(m) < STEP_KEYS.index(name)]
            if earlier:
                return redirect(f"checkout:{earlier[0]}")
            tracking.record(request, "checkout_started")
            return view(request, cart, checkout, *args, **kwargs)
        return wrapper
    return decorator


def _step_context(checkout: CheckoutView, step: str, **extra) -> dict:
    return {"checkout": checkout, "progress": progress(step, _missing_pages(checkout)),
            **extra}


@require_http_methods(["GET", "POST"])
@checkout_step("contact")
def contact(request: HttpRequest, cart: Cart, checkout: CheckoutView) -> HttpResponse:
    initial = {"email": cart.email or (request.user.email if request.user.is_authenticated
                                       else "")}
    form = EmailStepForm(posted(request), initial=initial)
    if request.method == "POST":
        if form.is_valid():
            try:
                order_services.set_checkout_email(cart=cart, email=form.cleaned_data["email"])
                record_checkout_opt_in(request, form)
                return redirect("checkout:address")
            except ShopError as error:
                form.add_error("email", error.message)
        return render(request, "checkout/contact.html", _step_context(checkout, "contact",
                      form=form), status=400)
    return render(request, "checkout/contact.html", _step_context(checkout, "contact", form=form))


def record_checkout_opt_in(request: HttpRequest, form: EmailStepForm) -> None:
    """A ticked marketing box is a grant, recorded with the wording shown. An unticked one
    changes nothing: it is never ticked for the shopper, so leaving it is no decision (an
    earlier opt-in stands; unsubscribing is in the account and in every email)."""
    if form.cleaned_data.get("marketing_opt_in"):
        consent.set_consent(email=form.cleaned_data["email"], user=request.user, granted=True,
                            wording=consent.CHECKOUT_WORDING,
                            source=consent.ConsentRecord.Source.CHECKOUT)


def _saved_addresses(request: HttpRequest) -> list[Address]:
    if not request.user.is_authenticated:
        return []
    return list(Address.objects.filter(user=request.user, saved=True).order_by("pk")[:10])


def show_address_refusal(form: AddressForm, error: AddressInvalid) -> None:
    """Put the address service's refusal next to the fields, unless the form's own checks
    already found what is wrong."""
    form.is_valid()
    if form.errors:
        return
    for field, field_messages in error.errors.items():
        for message in field_messages:
            form.add_error(field if field in form.fields else None, message)


def _preselected(saved: list[Address], cart: Cart) -> str:
    """Which address choice starts ticked: the saved address the cart already uses, the
    first saved one for a fresh checkout, else a new address."""
    current = cart.shipping_address
    if current is None:
        return str(saved[0].pk) if saved else "new"
    fields = current.as_dict()
    return next((str(a.pk) for a in saved if a.as_dict() == fields), "new")


@require_http_methods(["GET", "POST"])
@checkout_step("address")
def address(request: HttpRequest, cart: Cart, checkout: CheckoutView) -> HttpResponse:
    saved = _saved_addresses(request)
    current = cart.shipping_address
    initial = current.as_dict() if current else {"country": settings.SHOP_COUNTRY}
    form = AddressForm(posted(request), initial=initial)

    def page(status: int = 200, chosen: str | None = None, error: str = "") -> HttpResponse:
        return render(request, "checkout/address.html", _step_context(
            checkout, "address", form=form, saved=saved, error=error,
            chosen=chosen if chosen is not None else _preselected(saved, cart)), status=status)

    if request.method == "GET":
        return page()
    chosen = request.POST.get("saved_address", "new") if saved else "new"
    data = request.POST
    if chosen != "new":
        match = next((a for a in saved if str(a.pk) == chosen), None)
        if match is None:
            form = AddressForm(initial=initial)
            return page(400, "new", "Choose one of your saved addresses, or enter a new one.")
        data = match.as_dict()
    try:
        order_services.set_shipping_address(
            cart=cart, address=data,
            save_to_book=chosen == "new" and bool(request.POST.get("save_address")))
    except AddressInvalid as error:
        show_address_refusal(form, error)
        return page(400, chosen)
    except ShopError as error:
        form.add_error(None, error.message)
        return page(error.status_code, chosen)
    return redirect("checkout:shipping")


@require_http_methods(["GET", "POST"])
@checkout_step("shipping")
def shipping(request: HttpRequest, cart: Cart, checkout: CheckoutView) -> HttpResponse:
    if request.method == "POST":
        try:
            order_services.set_shipping_method(cart=cart, method_id=request.POST.get("method"))
            return redirect("checkout:billing")
        except ShopError as error:
            return render(request, "checkout/shipping.html", _step_context(
                checkout, "shipping", error=error.message), status=error.status_code)
    return render(request, "checkout/shipping.html", _step_context(checkout, "shipping"))


@require_http_methods(["GET", "POST"])
@checkout_step("billing")
def billing(request: HttpRequest, cart: Cart, checkout: CheckoutView) -> HttpResponse:
    current = cart.billing_address
    choice = BillingChoiceForm(posted(request),
                               initial={"same_as_shipping": cart.billing_same_as_shipping})
    form = AddressForm(posted(request), prefix="billing",
                       initial=current.as_dict() if current else {
                           "country": cart.shipping_address.country
                           if cart.shipping_address else settings.SHOP_COUNTRY})

    def page(status: int = 200) -> HttpResponse:
        return render(request, "checkout/billing.html", _step_context(
            checkout, "billing", form=form, choice=choice), status=status)

    if request.method == "GET":
        return page()
    choice.is_valid()
    same = choice.cleaned_data.get("same_as_shipping", False)
    data = {name: request.POST.get(f"billing-{name}", "") for name in Address.FIELDS}
    try:
        order_services.set_billing_address(cart=cart, same_as_shipping=same,
                                           address=None if same else data)
    except AddressInvalid as error:
        show_address_refusal(form, error)
        return page(400)
    except ShopError as error:
        form.add_error(None, error.message)
        return page(error.status_code)
    return redirect("checkout:review")


def _render_review(request: HttpRequest, checkout: CheckoutView, *, status: int = 200,
                   **extra) -> HttpResponse:
    if checkout.totals is None:  # emptied in another tab since this page was opened
        messages.info(request, "Your cart is empty.")
        return redirect("checkout:cart")
    extra.setdefault("voucher_form", VoucherForm())
    return render(request, "checkout/review.html", _step_context(checkout, "review", **extra),
                  status=status)


@require_http_methods(["GET", "POST"])
@rate_limited("checkout")  # POST places the order
def review(request: HttpRequest) -> HttpResponse:
    """GET shows everything with edit links; POST (the "Place order" button) places it."""
    if request.method == "POST":
        return _place(request)
    return _review_page(request)


@checkout_step("review")
def _review_page(request: HttpRequest, cart: Cart, checkout: CheckoutView) -> HttpResponse:
    return _render_review(request, checkout)


@require_POST
@rate_limited("voucher")
@checkout_step("review")
def voucher(request: HttpRequest, cart: Cart, checkout: CheckoutView) -> HttpResponse:
    if request.POST.get("action") == "remove":
        try:
            order_services.remove_voucher(cart=cart)
        except ShopError as error:
            return _render_review(request, checkout, error=error.message,
                                  status=error.status_code)
        messages.success(request, "Voucher removed.")
        return redirect("checkout:review")
    form = VoucherForm(request.POST)
    if form.is_valid():
        try:
            applied = order_services.apply_voucher(cart=cart, code=form.cleaned_data["code"])
            messages.success(request, f"Voucher {applied.code} applied: {applied.describe()}.")
            return redirect("checkout:review")
        except ShopError as error:
            form.add_error("code", error.message)
    return _render_review(request, checkout, voucher_form=form, status=400)


def _place(request: HttpRequest) -> HttpResponse:
    """Place the order for the cart named by the posted checkout token. A second submit of
    the same token (double click, back button, a second tab) lands on the same order."""
    token = request.POST.get("checkout_token", "")
    existing = Order.objects.filter(checkout_token=token).first() if _is_uuid(token) else None
    if existing is not None and may_see_order(request, existing):
        return redirect("checkout:pay", token=existing.token)
    cart = current_cart(request)
    if cart is None:
        messages.info(request, "Your cart is empty.")
        return redirect("checkout:cart")
    if str(cart.token) != token:
        return _render_review(request, build_checkout(cart), status=409,
                              error="Your cart changed since this page was opened. Check the "
                                    "order below, then place it again.")
    try:
        order = order_services.place_order(cart=cart, user=request.user,
                                           customer_ip=client_ip(request))
    except CheckoutIncomplete as error:
        step = STEP_FOR_MISSING.get(error.code.removesuffix("_missing"))
        if step is None:
            return _render_review(request, build_checkout(cart), error=error.message,
                                  status=error.status_code)
        messages.error(request, error.message)
        return redirect(f"checkout:{step}")
    except ShopError as error:
        return _render_review(request, build_checkout(cart), error=error.message,
                              status=error.status_code)
    remember_order(request, order)
    forget_cart(request)
    return redirect("checkout:pay", token=order.token)


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(str(value))
        return True
    except ValueError:
        return False
