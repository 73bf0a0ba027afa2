"""Customer accounts: sign up, log in and out, password reset, address book, order history
and order pages, and the guest's signed order link."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth import logout as auth_logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.paginator import EmptyPage, PageNotAnInteger, Paginator
from django.db.models import Prefetch
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.decorators import method_decorator
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from fulfillment.models import Shipment
from kernel.errors import NotFound
from kernel.forms import posted
from orders import services as order_services
from orders.exceptions import AddressInvalid
from orders.forms import AddressForm
from orders.invoice_pdf import invoice_response
from orders.links import order_token_from_signature
from orders.models import Address, Cart, Order, StockShortfall
from orders.selectors import customer_orders, order_detail_queryset
from orders.services.invoices import INVOICEABLE
from orders.shopper import awaiting_payment, shopper_timeline
from payments.models import Payment
from returns.models import ReturnEvent, ReturnLine, ReturnRequest
from returns.selectors import can_start_return
from reviews.links import invitation_path
from shop.storefront.cart import guest_cart_id
from shop.storefront.order_access import remember_order
from shop.web.rate_limits import posted_email, rate_limited

from .forms import EmailLoginForm, RegisterForm
from .services import activate_account, sign_up

ORDERS_PER_PAGE = 20


def _next_url(request: HttpRequest, fallback: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                                  require_https=request.is_secure()):
        return target
    return fallback


def _log_in(request: HttpRequest, user) -> None:
    """Log in and bring the guest's cart along (merged into the customer's own cart)."""
    cart_id = guest_cart_id(request)
    guest = Cart.objects.filter(pk=cart_id, user__isnull=True).first() if cart_id else None
    auth_login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    order_services.merge_carts(guest_cart=guest, user=user)


@require_http_methods(["GET", "POST"])
@rate_limited("login", account=posted_email)
def login(request: HttpRequest) -> HttpResponse:
    form = EmailLoginForm(request, posted(request))
    if request.method == "POST":
        if form.is_valid():
            _log_in(request, form.user)
            return redirect(_next_url(request, reverse("account:dashboard")))
        return render(request, "account/login.html", {"form": form, "next": _next_url(request, "")},
                      status=400)
    return render(request, "account/login.html", {"form": form, "next": _next_url(request, "")})


@require_POST
def logout(request: HttpRequest) -> HttpResponse:
    auth_logout(request)
    messages.info(request, "You are logged out.")
    return redirect("storefront:home")


@require_http_methods(["GET", "POST"])
@rate_limited("register", account=posted_email)
def register(request: HttpRequest) -> HttpResponse:
    """Sign up. The answer is the same whether or not the address has an account (the
    email says which); see ``services.sign_up``."""
    form = RegisterForm(posted(request))
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            sign_up(email=data["email"], password=data["password1"],
                    first_name=data["first_name"], last_name=data["last_name"],
                    absolute_url=request.build_absolute_uri)
            return redirect("account:register_done")
        return render(request, "account/register.html",
                      {"form": form, "next": _next_url(request, "")}, status=400)
    return render(request, "account/register.html", {"form": form, "next": _next_url(request, "")})


@require_GET
def register_done(request: HttpRequest) -> HttpResponse:
    return render(request, "account/register_done.html")


@require_GET
@rate_limited("order_lookup", methods=("GET",))
def activate(request: HttpRequest, uidb64: str, token: str) -> HttpResponse:
    """The link emailed to a new account: the address is confirmed, the account usable."""
    if activate_account(uidb64=uidb64, token=token) is None:
        messages.error(request, "That link is not valid any more. If your account is "
                                "already confirmed, log in; otherwise sign up again.")
    else:
        messages.success(request, "Your email is confirmed. Log in to start.")
    return redirect("account:login")


@method_decorator(rate_limited("password_reset", account=posted_email), name="dispatch")
class PasswordResetView(auth_views.PasswordResetView):
    template_name = "account/password_reset.html"
    email_template_name = "account/email/password_reset.txt"
    subject_template_name = "account/email/password_reset_subject.txt"
    success_url = reverse_lazy("account:password_reset_done")

    @property
    def extra_email_context(self) -> dict:
        # The shop's name for the subject and greeting, not the request's host name.
        return {"shop_name": settings.SHOP_NAME}


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "account/password_reset_done.html"


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "account/password_reset_confirm.html"
    success_url = reverse_lazy("account:password_reset_complete")


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "account/password_reset_complete.html"


@require_GET
@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    recent = list(customer_orders(request.user)[:5])
    addresses = list(Address.objects.filter(user=request.user, saved=True)[:3])
    return render(request, "account/dashboard.html", {"recent_orders": recent,
                                                      "addresses": addresses})


@require_GET
@login_required
def orders(request: HttpRequest) -> HttpResponse:
    paginator = Paginator(customer_orders(request.user), ORDERS_PER_PAGE)
    try:
        page = paginator.page(request.GET.get("page") or 1)
    except (EmptyPage, PageNotAnInteger) as error:
        raise Http404("There is no such page of orders.") from error
    return render(request, "account/orders.html", {"page": page})


def _order_page_queryset():
    return order_detail_queryset().prefetch_related(
        Prefetch("payments", queryset=Payment.objects.order_by("-created_at", "-pk")),
        Prefetch("shipments", queryset=Shipment.objects.exclude(state=Shipment.State.CANCELED)
                 .order_by("pk")),
        "shipments__lines__order_line", "shipments__tracking_events",
        Prefetch("returns", queryset=ReturnRequest.objects.select_related("replacement_order")
                 .order_by("-created_at", "-pk")),
        Prefetch("returns__lines", queryset=ReturnLine.objects.select_related(
            "order_line", "exchange_variant")),
        Prefetch("returns__events", queryset=ReturnEvent.objects.order_by("created_at", "pk")),
        Prefetch("stock_shortfalls", queryset=StockShortfall.objects.filter(
            state__in=StockShortfall.OPEN_STATES).select_related("substitute_line"),
                 to_attr="open_stock_shortfalls"))


def _returns_context(order: Order, *, return_url: str, label_url) -> dict:
    """The order's returns, and whether the shopper may start one (only once something was
    delivered does that take the selector's queries)."""
    delivered = any(s.state == Shipment.State.DELIVERED for s in order.shipments.all())
    returns = list(order.returns.all())
    for return_request in returns:
        return_request.label_url = (label_url(return_request.number)
                                    if return_request.label else "")
    return {"returns": returns,
            "return_url": return_url if delivered and can_start_return(order) else "",
            "drop_off_instructions": settings.SHOP_RETURN_DROP_OFF_INSTRUCTIONS}


def _paid_with(order: Order) -> Payment | None:
    return next((p for p in order.payments.all() if p.captured_amount or p.state in {
        Payment.State.AUTHORIZED, Payment.State.CAPTURED}), None)


def _shopper_context(order: Order) -> dict:
    """What the shopper is shown about the order's state: whether it can still be paid
    (the Pay now button, until the deadline) and the timeline in their terms."""
    return {"can_pay": awaiting_payment(order), "timeline": shopper_timeline(order)}


def _invoiceable(order: Order) -> bool:
    return order.payment_status in INVOICEABLE


@require_GET
@login_required
def order_detail(request: HttpRequest, number: str) -> HttpResponse:
    order = _order_page_queryset().filter(user=request.user, number=number).first()
    if order is None:
        raise Http404("No such order in your account.")
    invoice_url = reverse("account:order_invoice", args=[number]) if _invoiceable(order) else ""
    return render(request, "account/order_detail.html", {
        "order": order, "payment": _paid_with(order), "invoice_url": invoice_url,
        **_shopper_context(order),
        **_returns_context(order, return_url=reverse("account:order_return", args=[number]),
                           label_url=lambda return_number: reverse("account:return_label",
                                                         args=[number, return_number]))})


@require_GET
@rate_limited("order_lookup", methods=("GET",))
def guest_order(request: HttpRequest, signature: str) -> HttpResponse:
    token = order_token_from_signature(signature)
    order = _order_page_queryset().filter(token=token).first() if token else None
    if order is None:
        return render(request, "account/guest_link_invalid.html", status=404)
    invoice_url = reverse("account:guest_invoice", args=[signature]) \
        if _invoiceable(order) else ""
    if awaiting_payment(order):
        # The signed link is the guest's key to the order: this browser may now pay it
        # (the pay page checks the session), e.g. coming back from the emailed link.
        remember_order(request, order)
    return render(request, "account/order_detail.html", {
        "order": order, "guest": True, "payment": _paid_with(order),
        # The guest's order link proves the order is theirs: it leads to the review form
        # the invitation email opens (a guest has no account order page to review from).
        "review_url": invitation_path(order),
        "invoice_url": invoice_url, **_shopper_context(order),
        **_returns_context(order, return_url=reverse("account:guest_order_return",
                                                     args=[signature]),
                           label_url=lambda return_number: reverse("account:guest_return_label",
                                                         args=[signature, return_number]))})


@require_GET
@login_required
def order_invoice(request: HttpRequest, number: str) -> HttpResponse:
    order = Order.objects.filter(user=request.user, number=number).first()
    if order is None:
        raise Http404("No such order in your account.")
    return invoice_response(order)


@require_GET
@rate_limited("order_lookup", methods=("GET",))
def guest_invoice(request: HttpRequest, signature: str) -> HttpResponse:
    token = order_token_from_signature(signature)
    order = Order.objects.filter(token=token).first() if token else None
    if order is None:
        raise Http404("This link is not valid.")
    return invoice_response(order)


@require_GET
@login_required
def addresses(request: HttpRequest) -> HttpResponse:
    book = Address.objects.filter(user=request.user, saved=True).order_by("-created_at")
    return render(request, "account/addresses.html", {"addresses": book})


@require_http_methods(["GET", "POST"])
@login_required
def address_form(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    existing = None
    if pk is not None:
        existing = Address.objects.filter(user=request.user, saved=True, pk=pk).first()
        if existing is None:
            raise Http404("No such address in your address book.")
    form = AddressForm(posted(request),
                       initial=existing.as_dict() if existing else {"country": "US"})
    if request.method == "POST":
        try:
            order_services.save_address(user=request.user, data=request.POST,
                                        address_id=existing.pk if existing else None)
        except AddressInvalid:
            form.is_valid()
            return render(request, "account/address_form.html",
                          {"form": form, "address": existing}, status=400)
        messages.success(request, "Address saved.")
        return redirect("account:addresses")
    return render(request, "account/address_form.html", {"form": form, "address": existing})


@require_POST
@login_required
def address_delete(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        order_services.delete_address(user=request.user, address_id=pk)
    except NotFound as error:
        raise Http404(error.message) from error
    messages.success(request, "Address removed.")
    return redirect("account:addresses")
