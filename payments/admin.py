"""Orders and payments in admin.

Orders and payments are read-only here. Every change (cancel, capture, void, refund,
release from a fraud hold) is a button or an action that calls a service, which checks the
state under a lock; a refusal is shown as a message, never a 500. The order admin lives in
payments because its actions settle payments, and orders may not import payments.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

from catalog.admin import SERVICE_FORM_TEMPLATE
from orders import services
from orders.invoice_pdf import invoice_response
from orders.models import Order, OrderEvent, OrderLine
from shop.exceptions import ShopError
from shop.money import Money

from .models import GatewayCall, Payment, StripeEvent
from .services import cancel_and_settle, capture_payment, refund_payment, void_payment


class OrderLineInline(admin.TabularInline):
    model = OrderLine
    fields = ("sku", "product_name", "variant_name", "quantity", "quantity_fulfilled",
              "unit_price", "discount_amount", "tax_amount", "total", "allocated_from")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("allocations__stock_level__warehouse")

    @admin.display(description="Allocated")
    def allocated_from(self, line):
        allocations = list(line.allocations.all())
        if not allocations:
            return "—"
        return ", ".join(f"{a.quantity} at {a.stock_level.warehouse.code}" for a in allocations)


class OrderEventInline(admin.TabularInline):
    model = OrderEvent
    fields = ("created_at", "type", "message", "actor")
    readonly_fields = fields
    extra = 0
    can_delete = False
    ordering = ("created_at", "pk")

    def has_add_permission(self, request, obj=None):
        return False


class RiskFilter(admin.SimpleListFilter):
    title = "fraud review"
    parameter_name = "risk"

    def lookups(self, request, model_admin):
        return Order.Risk.choices

    def queryset(self, request, queryset):
        return queryset.filter(risk=self.value()) if self.value() else queryset


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    list_display = ("number", "placed_at", "email", "customer", "total_money", "status",
                    "payment_status", "fulfillment_status", "risk_flag")
    list_filter = ("status", "payment_status", "fulfillment_status", RiskFilter, "placed_at")
    list_select_related = ("user",)
    search_fields = ("number", "email", "lines__sku")
    search_help_text = "Order number, email or a SKU in the order."
    date_hierarchy = "placed_at"
    ordering = ("-placed_at", "-pk")
    actions = ["cancel_orders", "capture_payments", "release_holds"]
    inlines = [OrderLineInline, OrderEventInline]
    fieldsets = (
        (None, {"fields": ("number", "token", "placed_at", "email", "user", "customer_ip")}),
        ("Status", {"fields": ("status", "payment_status", "fulfillment_status",
                               "payment_due_by", "paid_at", "canceled_at")}),
        ("Fraud screening", {"fields": ("risk", "risk_score", "risk_reasons_text")}),
        ("Totals", {"fields": ("currency", "prices_include_tax", "subtotal", "discount_amount",
                               "voucher_code", "shipping_amount", "tax_amount", "total")}),
        ("Delivery", {"fields": ("shipping_method_name", "pickup_warehouse",
                                 "delivery_earliest", "delivery_latest", "shipping_lines",
                                 "billing_lines", "customer_note")}),
        ("Payments", {"fields": ("payments_table",)}),
    )
    change_form_template = "admin/orders/order/change_form.html"

    def get_readonly_fields(self, request, obj=None):
        names = [name for _, options in self.fieldsets for name in options["fields"]]
        return names

    def has_add_permission(self, request):
        return False  # orders come from checkout

    def has_delete_permission(self, request, obj=None):
        return False  # orders are records; cancel instead

    def get_queryset(self, request):
        return super().get_queryset(request).select_related(
            "user", "shipping_address", "billing_address", "pickup_warehouse")

    @admin.display(description="Customer", ordering="user__username")
    def customer(self, order):
        return order.user.get_username() if order.user_id else "Guest"

    @admin.display(description="Total", ordering="total")
    def total_money(self, order):
        return str(Money(order.total, order.currency))

    @admin.display(description="Risk", ordering="risk_score")
    def risk_flag(self, order):
        if order.risk == Order.Risk.HELD:
            return format_html('<strong style="color:#b42318">HELD ({})</strong><br>{}',
                               order.risk_score, "; ".join(order.risk_reasons))
        if order.risk == Order.Risk.RELEASED:
            return f"Released ({order.risk_score})"
        return str(order.risk_score)

    @admin.display(description="Reasons")
    def risk_reasons_text(self, order):
        return "; ".join(order.risk_reasons) or "—"

    @admin.display(description="Ship to")
    def shipping_lines(self, order):
        if not order.shipping_address:
            return "—"
        return format_html_join(mark_safe("<br>"), "{}",  # noqa: S308
                                ((line,) for line in order.shipping_address.lines()))

    @admin.display(description="Bill to")
    def billing_lines(self, order):
        return format_html_join(mark_safe("<br>"), "{}",  # noqa: S308
                                ((line,) for line in order.billing_address.lines()))

    @admin.display(description="Payments")
    def payments_table(self, order):
        rows = [(
            reverse("admin:payments_payment_change", args=[p.pk]), p.get_gateway_display(),
            p.get_state_display(), str(p.money("amount")), str(p.money("captured_amount")),
            str(p.money("refunded_amount")), p.card_label or "—", p.gateway_reference or "—",
        ) for p in order.payments.order_by("created_at", "pk")]
        if not rows:
            return "No payment yet."
        body = format_html_join("", "<tr><td><a href='{}'>{}</a></td><td>{}</td><td>{}</td>"
                                    "<td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>", rows)
        return format_html("<table><thead><tr><th>Gateway</th><th>State</th><th>Amount</th>"
                           "<th>Captured</th><th>Refunded</th><th>Card</th><th>Reference</th>"
                           "</tr></thead><tbody>{}</tbody></table>", body)

    # --- Actions: each calls a service; refusals become messages. -------------------------

    def has_manage_permission(self, request) -> bool:
        return request.user.has_perm("orders.change_order")

    def _each(self, request, orders, verb: str, run) -> None:
        done = 0
        for order in orders:
            try:
                run(order)
                done += 1
            except ShopError as error:
                self.message_user(request, f"Order {order.number}: {error.message}",
                                  messages.ERROR)
        if done:
            self.message_user(request, f"{verb} {done} order(s).", messages.SUCCESS)

    @admin.action(description="Cancel (void or refund, release stock)",
                  permissions=["manage"])
    def cancel_orders(self, request, queryset):
        self._each(request, queryset, "Canceled", lambda order: cancel_and_settle(
            order=order, reason=f"Canceled by {request.user.get_username()}.",
            actor=request.user))

    @admin.action(description="Capture authorized payment", permissions=["manage"])
    def capture_payments(self, request, queryset):
        self._each(request, queryset, "Captured the payment of",
                   lambda order: capture_order_payment(order, request.user))

    @admin.action(description="Release from fraud hold", permissions=["manage"])
    def release_holds(self, request, queryset):
        self._each(request, queryset, "Released",
                   lambda order: services.release_hold(order_id=order.pk, actor=request.user))

    def get_urls(self):
        custom = [
            path("<int:pk>/cancel/", self.admin_site.admin_view(self.cancel_view),
                 name="orders_order_cancel"),
            path("<int:pk>/do/<str:operation>/", self.admin_site.admin_view(self.operation_view),
                 name="orders_order_operation"),
            path("<int:pk>/invoice.pdf", self.admin_site.admin_view(self.invoice_view),
                 name="orders_order_invoice"),
        ]
        return custom + super().get_urls()

    def _order_for_operation(self, request, pk) -> Order:
        if not self.has_manage_permission(request):
            raise PermissionDenied
        return get_object_or_404(Order, pk=pk)

    def operation_view(self, request, pk: int, operation: str):
        order = self._order_for_operation(request, pk)
        if request.method != "POST":
            return HttpResponseRedirect(reverse("admin:orders_order_change", args=[pk]))
        runs = {
            "capture": (lambda: capture_order_payment(order, request.user), "Payment captured."),
            "release": (lambda: services.release_hold(order_id=order.pk, actor=request.user),
                        "Order released from the fraud hold."),
        }
        if operation not in runs:
            raise PermissionDenied
        run, success = runs[operation]
        try:
            run()
            self.message_user(request, success, messages.SUCCESS)
        except ShopError as error:
            self.message_user(request, error.message, messages.ERROR)
        return HttpResponseRedirect(reverse("admin:orders_order_change", args=[pk]))

    def invoice_view(self, request, pk: int):
        if not self.has_view_permission(request):
            raise PermissionDenied
        return invoice_response(get_object_or_404(Order, pk=pk))

    def cancel_view(self, request, pk: int):
        order = self._order_for_operation(request, pk)
        form = CancelForm(request.POST if request.method == "POST" else None)
        if form.is_bound and form.is_valid():
            try:
                cancel_and_settle(order=order, reason=form.cleaned_data["reason"],
                                  actor=request.user)
            except ShopError as error:
                form.add_error(None, error.message)
            else:
                self.message_user(request, f"Order {order.number} canceled.", messages.SUCCESS)
                return HttpResponseRedirect(reverse("admin:orders_order_change", args=[pk]))
        context = {
            **self.admin_site.each_context(request), "title": f"Cancel order {order.number}",
            "opts": self.opts, "original": order, "form": form, "has_view_permission": True,
            "submit_label": "Cancel the order",
            "intro": "Uncaptured payments are voided and captured ones refunded in full; the "
                     "order's stock is released. The customer is emailed.",
        }
        return TemplateResponse(request, SERVICE_FORM_TEMPLATE, context)


class CancelForm(forms.Form):
    reason = forms.CharField(max_length=300, widget=forms.Textarea(attrs={"rows": 3}),
                             help_text="Shown on the order's timeline.")


def capture_order_payment(order: Order, actor) -> None:
    payment = order.payments.filter(state=Payment.State.AUTHORIZED).first()
    if payment is None:
        raise ShopError(f"Order {order.number} has no authorized payment to capture.")
    capture_payment(payment=payment, actor=actor)


# --- Payments -------------------------------------------------------------------------------


class GatewayCallInline(admin.TabularInline):
    model = GatewayCall
    fields = ("created_at", "kind", "amount", "currency", "idempotency_key", "outcome",
              "gateway_reference", "error", "completed_at")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Payment)
class PaymentAdmin(admin.ModelAdmin):
    list_display = ("created_at", "order_link", "gateway", "state", "amount", "captured_amount",
                    "refunded_amount", "card_label")
    list_filter = ("gateway", "state")
    list_select_related = ("order",)
    search_fields = ("order__number", "gateway_reference", "card_last4")
    ordering = ("-created_at", "-pk")
    inlines = [GatewayCallInline]
    actions = ["capture_selected", "void_selected"]
    change_form_template = "admin/payments/payment/change_form.html"
    exclude = ("client_secret",)

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in Payment._meta.fields if f.name != "client_secret"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_manage_permission(self, request) -> bool:
        return request.user.has_perm("payments.change_payment")

    @admin.display(description="Order", ordering="order__number")
    def order_link(self, payment):
        return format_html('<a href="{}">{}</a>',
                           reverse("admin:orders_order_change", args=[payment.order_id]),
                           payment.order.number)

    def _each(self, request, payments, verb, run):
        done = 0
        for payment in payments:
            try:
                run(payment)
                done += 1
            except ShopError as error:
                self.message_user(request, f"Payment of order {payment.order.number}: "
                                           f"{error.message}", messages.ERROR)
        if done:
            self.message_user(request, f"{verb} {done} payment(s).", messages.SUCCESS)

    @admin.action(description="Capture", permissions=["manage"])
    def capture_selected(self, request, queryset):
        self._each(request, queryset, "Captured",
                   lambda p: capture_payment(payment=p, actor=request.user))

    @admin.action(description="Void (cancel before capture)", permissions=["manage"])
    def void_selected(self, request, queryset):
        self._each(request, queryset, "Voided",
                   lambda p: void_payment(payment=p, actor=request.user))

    def get_urls(self):
        return [
            path("<int:pk>/refund/", self.admin_site.admin_view(self.refund_view),
                 name="payments_payment_refund"),
        ] + super().get_urls()

    def refund_view(self, request, pk: int):
        if not self.has_manage_permission(request):
            raise PermissionDenied
        payment = get_object_or_404(Payment.objects.select_related("order"), pk=pk)
        form = RefundForm(request.POST if request.method == "POST" else None, payment=payment)
        if form.is_bound and form.is_valid():
            try:
                refund_payment(payment=payment, amount=form.cleaned_data["amount"],
                               reason=form.cleaned_data["reason"], actor=request.user)
            except ShopError as error:
                form.add_error("amount", error.message)
            else:
                refunded = Money(form.cleaned_data["amount"], payment.currency)
                self.message_user(request, f"Refunded {refunded}.", messages.SUCCESS)
                return HttpResponseRedirect(reverse("admin:payments_payment_change",
                                                    args=[pk]))
        context = {
            **self.admin_site.each_context(request),
            "title": f"Refund payment of order {payment.order.number}",
            "opts": self.opts, "original": payment, "form": form, "has_view_permission": True,
            "submit_label": "Refund",
            "intro": f"Captured {payment.money('captured_amount')}, refunded so far "
                     f"{payment.money('refunded_amount')}. The refund goes back to the "
                     "original payment method.",
        }
        return TemplateResponse(request, SERVICE_FORM_TEMPLATE, context)


class RefundForm(forms.Form):
    amount = forms.CharField(max_length=20, help_text="At most what was captured and not yet "
                                                      "refunded.")
    reason = forms.CharField(max_length=300)

    def __init__(self, *args, payment: Payment, **kwargs):
        super().__init__(*args, **kwargs)
        self.payment = payment
        self.fields["amount"].initial = payment.refundable_amount

    def clean_amount(self) -> Decimal:
        try:
            amount = Decimal(self.cleaned_data["amount"].strip().replace(",", ""))
        except InvalidOperation:
            raise forms.ValidationError("Enter an amount, like 12.50.") from None
        if not amount.is_finite() or amount <= 0:
            raise forms.ValidationError("Enter an amount above zero.")
        if amount > self.payment.refundable_amount:
            raise forms.ValidationError(
                f"At most {self.payment.money('captured_amount')} minus "
                f"{self.payment.money('refunded_amount')} already refunded can be refunded.")
        return amount


@admin.register(StripeEvent)
class StripeEventAdmin(admin.ModelAdmin):
    list_display = ("received_at", "type", "event_id", "object_id", "processed_at", "result")
    list_filter = ("type",)
    search_fields = ("event_id", "object_id")
    readonly_fields = ("event_id", "type", "object_id", "payload", "received_at",
                       "processed_at", "result")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
