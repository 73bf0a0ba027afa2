"""Pay, authenticate (3-D Secure), Stripe's return and the confirmation page."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables
from django.views.decorators.http import require_GET, require_http_methods

from kernel.errors import ShopError
from kernel.forms import posted
from orders import services as order_services
from orders.models import Order
from orders.selectors import order_detail_queryset
from payments import services as payment_services
from payments.exceptions import GatewayUnavailable, PaymentDeclined
from payments.models import Payment
from shop.storefront.order_access import may_see_order

from .forms import CardForm
from .steps_views import progress

PAID_STATES = {Payment.State.CAPTURED, Payment.State.AUTHORIZED}


def _order_for_browser(request: HttpRequest, token) -> Order:
    """The order if this browser placed it or its customer is logged in; else 404 (the
    same answer as a token that doesn't exist, so nothing is learned)."""
    order = order_detail_queryset().prefetch_related("payments").filter(token=token).first()
    if order is None or not may_see_order(request, order):
        raise Http404("No such order.")
    return order


def _pay_context(order: Order, **extra) -> dict:
    return {"order": order, "progress": progress("pay"), "gateway": settings.PAYMENT_GATEWAY,
            **extra}


def _closed(request: HttpRequest, order: Order) -> HttpResponse:
    return render(request, "checkout/order_canceled.html", {"order": order}, status=409)


# The card's details never reach an error report (every frame below this view, the
# gateway's included, is cleansed) nor a cache.
@sensitive_variables()
@sensitive_post_parameters("name", "number", "expiry", "cvc")
@never_cache
@require_http_methods(["GET", "POST"])
def pay(request: HttpRequest, token) -> HttpResponse:
    order = _order_for_browser(request, token)
    if order.status == Order.Status.CANCELED:
        return _closed(request, order)
    if order.payment_status != Order.PaymentStatus.UNPAID:
        return redirect("checkout:confirmation", token=order.token)
    if order.total == 0:
        # Nothing to pay (a voucher covered everything, store pickup): no card, no gateway.
        try:
            order_services.settle_zero_total_order(order_id=order.pk)
        except ShopError:
            return _closed(request, order)
        return redirect("checkout:confirmation", token=order.token)
    if settings.PAYMENT_GATEWAY == "stripe":
        return _stripe_pay(request, order)
    form = CardForm(posted(request))
    if request.method == "GET":
        return render(request, "checkout/pay.html", _pay_context(order, form=form))
    if not form.is_valid():
        return render(request, "checkout/pay.html", _pay_context(order, form=form), status=400)
    try:
        payment = payment_services.start_payment(order=order, payment_data=form.payment_data())
    except PaymentDeclined as error:
        # A fresh form: the shopper tries again, maybe with another card.
        return render(request, "checkout/pay.html", _pay_context(
            order, form=CardForm(initial={"name": form.cleaned_data["name"]}),
            declined=error.message), status=error.status_code)
    except ShopError as error:  # the gateway not answering (503), a payment in flight
        return render(request, "checkout/pay.html", _pay_context(
            order, form=CardForm(initial={"name": form.cleaned_data["name"]}),
            error=error.message), status=error.status_code)
    if payment.state == Payment.State.REQUIRES_ACTION:
        return redirect("checkout:authenticate", token=order.token, payment_token=payment.token)
    return redirect("checkout:confirmation", token=order.token)


def _stripe_pay(request: HttpRequest, order: Order) -> HttpResponse:
    try:
        payment = payment_services.start_payment(order=order)
    except ShopError as error:
        return render(request, "checkout/pay.html", _pay_context(order, error=error.message),
                      status=error.status_code)
    return_url = request.build_absolute_uri(reverse("checkout:stripe_return",
                                                    args=[order.token]))
    return render(request, "checkout/pay.html", _pay_context(
        order, payment=payment, stripe_publishable_key=settings.STRIPE_PUBLISHABLE_KEY,
        stripe_return_url=return_url, error=payment.error))


@never_cache
@require_GET
def stripe_return(request: HttpRequest, token) -> HttpResponse:
    order = _order_for_browser(request, token)
    payment = order.payments.filter(gateway=Payment.Gateway.STRIPE).order_by("-pk").first()
    if payment is None:
        return redirect("checkout:pay", token=order.token)
    try:
        payment = payment_services.sync_payment(payment=payment)
    except ShopError as error:
        messages.error(request, error.message)
        return redirect("checkout:pay", token=order.token)
    if payment.state in PAID_STATES:
        return redirect("checkout:confirmation", token=order.token)
    if payment.error:
        messages.error(request, payment.error)
    return redirect("checkout:pay", token=order.token)


@never_cache
@require_http_methods(["GET", "POST"])
def authenticate(request: HttpRequest, token, payment_token) -> HttpResponse:
    """The offline gateway's stand-in for a bank's 3-D Secure page."""
    order = _order_for_browser(request, token)
    payment = next((p for p in order.payments.all() if p.token == payment_token), None)
    if payment is None:
        raise Http404("No such payment.")
    if payment.state != Payment.State.REQUIRES_ACTION:
        return redirect("checkout:pay", token=order.token)
    if request.method == "GET":
        return render(request, "checkout/authenticate.html", {"order": order, "payment": payment})
    approved = request.POST.get("decision") == "complete"
    try:
        payment_services.confirm_authentication(payment=payment, authenticated=approved)
    except GatewayUnavailable as error:
        return render(request, "checkout/authenticate.html",
                      {"order": order, "payment": payment, "error": error.message},
                      status=error.status_code)
    except PaymentDeclined as error:
        messages.error(request, f"Payment declined: {error.message}")
        return redirect("checkout:pay", token=order.token)
    except ShopError as error:
        messages.error(request, error.message)
        return redirect("checkout:pay", token=order.token)
    return redirect("checkout:confirmation", token=order.token)


@require_GET
def confirmation(request: HttpRequest, token) -> HttpResponse:
    order = _order_for_browser(request, token)
    if order.status == Order.Status.CANCELED:
        return _closed(request, order)
    if order.payment_status == Order.PaymentStatus.UNPAID:
        return redirect("checkout:pay", token=order.token)
    payment = next((p for p in order.payments.all()
                    if p.state in {*PAID_STATES, Payment.State.PARTIALLY_REFUNDED}), None)
    return render(request, "checkout/confirmation.html", {"order": order, "payment": payment})
