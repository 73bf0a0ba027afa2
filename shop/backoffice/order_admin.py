"""Orders in admin: the order back office.

Orders are read-only records here. Every change (cancel, capture, void,
refund, release from a fraud hold) is an action on the list or a button on the record that
calls a service, which checks the state under a lock; a refusal is shown as an error
message and changes nothing, never a 500. It lives in the shop layer because its actions
settle payments and look at shipments, and orders may not import either.

Each action and button is guarded by its own ``has_<name>_permission`` (today the model's
change permission: ``orders.change_order`` for orders, ``payments.change_payment`` for
payments), so roles can be narrowed later without touching the views.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

from customers.admin.service import OrderNotesInline, order_timeline_url
from customers.roles import TIMELINE_PERMISSION
from kernel.admin import SERVICE_FORM_TEMPLATE, ReadOnlyAdminMixin
from kernel.errors import ShopError
from orders import services as order_services
from orders.invoice_pdf import invoice_response
from orders.models import Order
from payments.models import REFUND_ADJUSTMENT_PERMISSION, Payment
from payments.selectors import order_balance
from payments.services import cancel_held_order, capture_order_payment
from returns.services import cancel_order_or_return

from .order_inlines import OrderEventInline, OrderLineInline, PaymentInline, RiskFilter, money

State = Payment.State
SETTLEABLE = {State.PENDING, State.REQUIRES_ACTION, State.AUTHORIZED}
REFUNDABLE = {State.CAPTURED, State.PARTIALLY_REFUNDED}


class AdminMedia:
    css = {"all": ["css/admin-orders.css"]}


# --- What the list actions and the buttons run: one service each, and the words to say --


def cancel_and_report(order: Order, *, reason: str, actor) -> str:
    """Cancel, or, with part of the order shipped, cancel what has not left and open a
    return for what has (``returns.services.cancel_order_or_return``), and say which."""
    return cancel_order_or_return(order_id=order.pk, reason=reason, actor=actor).summary()


def cancel_held_and_report(order: Order, *, reason: str, actor) -> str:
    return _canceled(cancel_held_order(order_id=order.pk, reason=reason, actor=actor))


def _canceled(order: Order) -> str:
    settled = {
        Order.PaymentStatus.REFUNDED: "the payment was refunded",
        Order.PaymentStatus.PARTIALLY_REFUNDED: "the payment was refunded",
        Order.PaymentStatus.VOIDED: "the payment was voided",
    }.get(order.payment_status, "nothing had been paid")
    return f"Order {order.number} canceled: {settled} and its stock released."


def capture_and_report(order: Order, *, actor) -> str:
    payment = capture_order_payment(order_id=order.pk, actor=actor)
    return f"Order {order.number}: captured {payment.money('captured_amount')}."


def release_and_report(order: Order, *, actor) -> str:
    order_services.release_hold(order_id=order.pk, actor=actor)
    return f"Order {order.number} released from the fraud hold."


def refusal_message(order: Order, error: ShopError) -> str:
    return error.message if order.number in error.message \
        else f"Order {order.number}: {error.message}"


def _when(moment) -> str:
    return f"{moment:%Y-%m-%d %H:%M}" if moment else ""


class CancelForm(forms.Form):
    reason = forms.CharField(max_length=300, widget=forms.Textarea(attrs={"rows": 3}),
                             help_text="Shown on the order's timeline.")


# --- Orders ---------------------------------------------------------------------------------


@admin.register(Order)
class OrderAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("number", "placed_at", "email", "customer", "total_money", "status",
                    "payment_status", "fulfillment_status", "risk_flag")
    list_filter = ("status", "payment_status", "fulfillment_status", RiskFilter, "placed_at")
    list_select_related = ("user",)
    search_fields = ("number", "email", "lines__sku")
    search_help_text = "Order number, email, or the SKU of a line."
    date_hierarchy = "placed_at"
    ordering = ("-placed_at", "-pk")
    actions = ["cancel_orders", "cancel_held_orders", "capture_payments", "release_holds"]
    inlines = [OrderLineInline, PaymentInline, OrderEventInline, OrderNotesInline]
    fieldsets = (
        (None, {"fields": ("number", "placed_at", "email", "customer", "customer_ip")}),
        ("Status", {"fields": ("status", "payment_status", "fulfillment_status",
                               "payment_due_by", "paid_at", "canceled_at",
                               "cancel_requested_at", "cancel_requested_by", "cancel_reason")}),
        ("Fraud screening", {"fields": ("risk_flag", "risk_score", "risk_reasons_text")}),
        ("Totals", {"fields": ("subtotal_money", "discount_money", "voucher_used",
                               "shipping_money", "tax_money", "total_money",
                               "prices_include_tax")}),
        ("Balance", {"fields": ("balance_table",)}),
        ("Delivery", {"fields": ("shipping_method_name", "pickup_warehouse", "delivery_window",
                                 "shipping_lines", "billing_lines", "customer_note")}),
    )
    change_form_template = "admin/orders/order/change_form.html"
    Media = AdminMedia

    def get_readonly_fields(self, request, obj=None):
        return [name for _, options in self.fieldsets for name in options["fields"]]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related(
            "user", "shipping_address", "billing_address", "pickup_warehouse", "voucher")

    # Orders are records (ReadOnlyAdminMixin): they come from checkout and change only
    # through the services behind the actions below, so the page is view-only (no Save).
    def has_cancel_permission(self, request, obj=None) -> bool:
        return request.user.has_perm("orders.change_order")

    def has_capture_permission(self, request, obj=None) -> bool:
        return request.user.has_perm("orders.change_order")

    def has_release_permission(self, request, obj=None) -> bool:
        return request.user.has_perm("orders.change_order")

    def has_refund_permission(self, request, obj=None) -> bool:
        # A price adjustment or goodwill (the payment's refund page); returns are refunded
        # from the return.
        return request.user.has_perm(REFUND_ADJUSTMENT_PERMISSION)

    # --- columns and fields ---------------------------------------------------------------

    @admin.display(description="Customer", ordering="user__username")
    def customer(self, order: Order) -> str:
        return order.user.get_username() if order.user_id else "Guest"

    @admin.display(description="Total", ordering="total")
    def total_money(self, order: Order) -> str:
        return str(order.money("total"))

    @admin.display(description="Subtotal")
    def subtotal_money(self, order: Order) -> str:
        return str(order.money("subtotal"))

    @admin.display(description="Discount")
    def discount_money(self, order: Order) -> str:
        return str(order.money("discount_amount"))

    @admin.display(description="Shipping")
    def shipping_money(self, order: Order) -> str:
        return str(order.money("shipping_amount"))

    @admin.display(description="Tax")
    def tax_money(self, order: Order) -> str:
        return str(order.money("tax_amount"))

    @admin.display(description="Voucher")
    def voucher_used(self, order: Order):
        if not order.voucher_code:
            return "—"
        if order.voucher_id is None:  # the voucher was deleted since; the code stays
            return order.voucher_code
        return format_html('<a href="{}">{}</a> ({})',
                           reverse("admin:orders_voucher_change", args=[order.voucher_id]),
                           order.voucher_code, order.voucher.describe())

    @admin.display(description="Risk", ordering="risk_score")
    def risk_flag(self, order: Order):
        if order.risk == Order.Risk.HELD:
            return format_html(
                '<span class="order-risk order-risk--held">Held for review · score {}</span>'
                '<span class="order-risk-reasons">{}</span>',
                order.risk_score, "; ".join(order.risk_reasons) or "No reason recorded")
        if order.risk == Order.Risk.RELEASED:
            return format_html('<span class="order-risk order-risk--released">Released · '
                               'score {}</span>', order.risk_score)
        return format_html('<span class="order-risk">Normal · score {}</span>',
                           order.risk_score)

    @admin.display(description="Every cent")
    def balance_table(self, order: Order):
        """``payments.selectors.order_balance``: each line with its cause, then the
        figures (charged, authorized, captured, refunded, paid, outstanding)."""
        balance = order_balance(order)
        rows = format_html_join(
            "", '<tr class="balance-{}"><td>{}</td><td>{}</td><td class="num">{}{}</td></tr>',
            ((line.kind, _when(line.at), line.staff_text,
              "−" if line.kind == "refunded" else "", line.money) for line in balance.lines))
        figures = format_html_join("", '<tr><th colspan="2">{}</th><td class="num">{}</td></tr>',
                                   balance.figures)
        return format_html('<table class="order-balance"><tbody>{}</tbody><tfoot>{}</tfoot>'
                           "</table>", rows, figures)

    @admin.display(description="Reasons")
    def risk_reasons_text(self, order: Order) -> str:
        return "; ".join(order.risk_reasons) or "—"

    @admin.display(description="Delivery window")
    def delivery_window(self, order: Order) -> str:
        if not order.delivery_earliest:
            return "—"
        if order.delivery_latest and order.delivery_latest != order.delivery_earliest:
            return f"{order.delivery_earliest:%d %b %Y} – {order.delivery_latest:%d %b %Y}"
        return f"{order.delivery_earliest:%d %b %Y}"

    @staticmethod
    def _address(address):
        if address is None:
            return "—"
        return format_html('<address class="order-address">{}</address>', format_html_join(
            mark_safe("<br>"), "{}", ((line,) for line in address.lines())))  # nosec B308 # a literal <br>

    @admin.display(description="Ship to")
    def shipping_lines(self, order: Order):
        return self._address(order.shipping_address)

    @admin.display(description="Bill to")
    def billing_lines(self, order: Order):
        return self._address(order.billing_address)

    # --- list actions: each calls a service per order; refusals become messages ----------

    def _each(self, request, queryset, run) -> None:
        for order in queryset.order_by("pk"):
            try:
                message = run(order)
            except ShopError as error:
                self.message_user(request, refusal_message(order, error), messages.ERROR)
            else:
                self.message_user(request, message, messages.SUCCESS)

    @admin.action(description="Cancel order (void or refund, release stock)",
                  permissions=["cancel"])
    def cancel_orders(self, request, queryset):
        reason = f"Canceled by {request.user.get_username()}."
        self._each(request, queryset, lambda order: cancel_and_report(
            order, reason=reason, actor=request.user))

    @admin.action(description="Cancel held order (failed fraud review)", permissions=["cancel"])
    def cancel_held_orders(self, request, queryset):
        reason = f"Canceled after fraud review by {request.user.get_username()}."
        self._each(request, queryset, lambda order: cancel_held_and_report(
            order, reason=reason, actor=request.user))

    @admin.action(description="Capture authorized payment", permissions=["capture"])
    def capture_payments(self, request, queryset):
        self._each(request, queryset,
                   lambda order: capture_and_report(order, actor=request.user))

    @admin.action(description="Release from fraud hold", permissions=["release"])
    def release_holds(self, request, queryset):
        self._each(request, queryset, lambda order: release_and_report(order, actor=request.user))

    # --- buttons on the order page --------------------------------------------------------

    def get_urls(self):
        def view(function):
            return self.admin_site.admin_view(function)

        return [
            path("<int:pk>/cancel/", view(self.cancel_view), name="orders_order_cancel"),
            path("<int:pk>/capture/", view(self.capture_view), name="orders_order_capture"),
            path("<int:pk>/release/", view(self.release_view), name="orders_order_release"),
            path("<int:pk>/invoice.pdf", view(self.invoice_view), name="orders_order_invoice"),
            *super().get_urls(),
        ]

    def render_change_form(self, request, context, add=False, change=False, form_url="",
                           obj=None):
        if obj is not None:
            is_open = obj.status == Order.Status.OPEN
            context["order_tools"] = {
                "invoice": obj.payment_status != Order.PaymentStatus.UNPAID,
                "cancel": is_open and self.has_cancel_permission(request, obj),
                "capture": (is_open and obj.payment_status == Order.PaymentStatus.AUTHORIZED
                            and self.has_capture_permission(request, obj)),
                "release": is_open and obj.is_held and self.has_release_permission(request, obj),
                "refund": self._refundable_payment(obj) if self.has_refund_permission(
                    request, obj) else None,
                "held": obj.is_held,
                "timeline": (order_timeline_url(obj.pk)
                             if request.user.has_perm(TIMELINE_PERMISSION) else ""),
            }
        return super().render_change_form(request, context, add, change, form_url, obj)

    @staticmethod
    def _refundable_payment(order: Order) -> Payment | None:
        """The payment whose refund page the "Refund…" button opens (the oldest with money
        left to refund)."""
        for payment in order.payments.filter(state__in=REFUNDABLE).order_by("pk"):
            if payment.refundable_amount > 0:
                return payment
        return None

    def _order_page(self, pk: int) -> HttpResponseRedirect:
        return HttpResponseRedirect(reverse("admin:orders_order_change", args=[pk]))

    def _button(self, request, pk: int, *, allowed: bool, run):
        """A POST from a button on the order page: run one operation, report, go back."""
        if not allowed:
            raise PermissionDenied
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        order = get_object_or_404(Order, pk=pk)
        try:
            self.message_user(request, run(order), messages.SUCCESS)
        except ShopError as error:
            self.message_user(request, refusal_message(order, error), messages.ERROR)
        return self._order_page(pk)

    def capture_view(self, request, pk: int):
        return self._button(request, pk, allowed=self.has_capture_permission(request),
                            run=lambda order: capture_and_report(order, actor=request.user))

    def release_view(self, request, pk: int):
        return self._button(request, pk, allowed=self.has_release_permission(request),
                            run=lambda order: release_and_report(order, actor=request.user))

    def invoice_view(self, request, pk: int):
        if not self.has_view_permission(request):
            raise PermissionDenied
        return invoice_response(get_object_or_404(Order, pk=pk))

    def cancel_view(self, request, pk: int):
        """Ask for a reason, then cancel through ``cancel_order_or_return`` (a return for
        what has shipped). A held order is canceled as "failed fraud review" (refused if
        someone released it meanwhile)."""
        if not self.has_cancel_permission(request):
            raise PermissionDenied
        order = get_object_or_404(Order, pk=pk)
        held = order.risk == Order.Risk.HELD
        initial = {"reason": "Did not pass fraud review."} if held else {}
        form = CancelForm(request.POST if request.method == "POST" else None, initial=initial)
        if form.is_bound and form.is_valid():
            cancel = cancel_held_and_report if held else cancel_and_report
            try:
                message = cancel(order, reason=form.cleaned_data["reason"], actor=request.user)
            except ShopError as error:
                self.message_user(request, refusal_message(order, error), messages.ERROR)
            else:
                self.message_user(request, message, messages.SUCCESS)
            return self._order_page(pk)
        context = {
            **self.admin_site.each_context(request),
            "title": f"Cancel {'held ' if held else ''}order {order.number}",
            "opts": self.opts,
            "original": order,
            "form": form,
            "has_view_permission": self.has_view_permission(request, order),
            "submit_label": "Cancel the order",
            "intro": self._cancel_summary(order),
        }
        return TemplateResponse(request, SERVICE_FORM_TEMPLATE, context)

    @staticmethod
    def _cancel_summary(order: Order) -> str:
        if order.fulfillment_status != Order.FulfillmentStatus.UNFULFILLED:
            return (f"Part of order {order.number} has shipped, so canceling it cancels the "
                    "shipments that have not left (their stock released, their share "
                    "refunded as a cancellation) and opens an approved return for the shipped "
                    "items, refunded when they come back. This cannot be undone.")
        payments = list(order.payments.all())
        refund = sum((p.refundable_amount for p in payments if p.state in REFUNDABLE), 0)
        voids = [p for p in payments if p.state in SETTLEABLE]
        parts = []
        if refund:
            parts.append(f"refunds {money(refund, order.currency)} to the original payment "
                         "method")
        if voids:
            parts.append("voids the payment that is not captured yet")
        parts.append("releases the stock allocated to it and emails the shopper")
        return f"Canceling order {order.number} (total {order.money('total')}) " \
               f"{', '.join(parts)}. This cannot be undone."


