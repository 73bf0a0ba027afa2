"""Payments in admin: read-only records with the gateway calls behind them.

Every change (capture, void, refund) is an action on the list or a button on the record
that calls a service, which checks the state under a lock; a refusal is shown as an error
message and changes nothing, never a 500. The order back office (cancel, capture, release)
is in ``shop.backoffice``.
"""

from __future__ import annotations

import json

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from kernel.admin import SERVICE_FORM_TEMPLATE, ReadOnlyAdminMixin, ReadOnlyInline
from kernel.errors import ShopError
from kernel.money import Money, parse_amount, quantize

from .models import (
    DECISION_REASONS,
    REFUND_ADJUSTMENT_PERMISSION,
    GatewayCall,
    Payment,
    RefundReason,
    StripeEvent,
)
from .services import capture_payment, refund_payment, void_payment

State = Payment.State
SETTLEABLE = {State.PENDING, State.REQUIRES_ACTION, State.AUTHORIZED}
REFUNDABLE = {State.CAPTURED, State.PARTIALLY_REFUNDED}


class AdminMedia:
    css = {"all": ["css/admin-orders.css"]}


def money(amount, currency: str) -> str:
    return str(Money(amount, currency))


# --- Payments -------------------------------------------------------------------------------


class GatewayCallInline(ReadOnlyInline):
    model = GatewayCall
    view_permission = "payments.view_payment"
    fields = ("created_at", "kind", "amount_money", "idempotency_key", "outcome",
              "gateway_reference", "error_text", "completed_at")
    readonly_fields = fields
    ordering = ("created_at", "pk")
    verbose_name_plural = "gateway calls"

    @admin.display(description="Amount")
    def amount_money(self, call: GatewayCall) -> str:
        return money(call.amount, call.currency)

    @admin.display(description="Error")
    def error_text(self, call: GatewayCall) -> str:
        if not call.error:
            return "—"
        return f"{call.error} ({call.error_code})" if call.error_code else call.error


class RefundForm(forms.Form):
    """A refund with no return behind it: a price adjustment or goodwill, with the
    person's words and, where the admin offers it (``decision_choices``), the explicit
    choice of what happens to the goods."""

    amount = forms.CharField(max_length=20)
    refund_reason = forms.ChoiceField(
        label="Kind of refund", widget=forms.RadioSelect,
        choices=[(value, label) for value, label in RefundReason.choices
                 if value in DECISION_REASONS],
        help_text="A return is refunded from the return; a cancellation by canceling the "
                  "order.")
    reason = forms.CharField(label="Why", max_length=300,
                             help_text="Shown on the order's timeline, with your name.")

    def __init__(self, *args, payment: Payment, decision_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.payment = payment
        if decision_choices:
            self.fields["decision"] = forms.ChoiceField(
                label="The goods", choices=decision_choices, widget=forms.RadioSelect,
                help_text="Say explicitly whether the order still ships or what has not "
                          "shipped is canceled.")
        self.fields["amount"].label = f"Amount ({payment.currency})"
        self.fields["amount"].initial = payment.refundable_amount
        self.fields["amount"].help_text = (
            f"At most {payment.money('refundable_amount')}: captured "
            f"{payment.money('captured_amount')}, already refunded "
            f"{payment.money('refunded_amount')}.")

    def clean_amount(self):
        try:
            amount = parse_amount(self.cleaned_data["amount"])
        except ValueError:
            raise forms.ValidationError("Enter an amount, like 12.50.") from None
        if amount <= 0:
            raise forms.ValidationError("Enter an amount above zero.")
        if amount != quantize(amount, self.payment.currency):
            raise forms.ValidationError("Enter the amount in whole cents.")
        if amount > self.payment.refundable_amount:
            raise forms.ValidationError(
                f"At most {self.payment.money('refundable_amount')} can be refunded on this "
                "payment.")
        return amount


@admin.register(Payment)
class PaymentAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("created_at", "order_link", "gateway", "state", "amount_money",
                    "captured_money", "refunded_money", "card_label")
    list_filter = ("gateway", "state", "created_at")
    list_select_related = ("order",)
    search_fields = ("order__number", "gateway_reference", "card_last4")
    search_help_text = "Order number, gateway reference or the card's last four digits."
    date_hierarchy = "created_at"
    ordering = ("-created_at", "-pk")
    inlines = [GatewayCallInline]
    actions = ["capture_selected", "void_selected", "refund_selected"]
    fieldsets = (
        (None, {"fields": ("order_link", "gateway", "state", "manual_capture", "created_at",
                           "updated_at")}),
        ("Amounts", {"fields": ("amount_money", "captured_money", "refunded_money",
                                "refundable_money")}),
        ("Card and gateway", {"fields": ("card_label", "gateway_reference", "risk_level",
                                         "error")}),
    )
    change_form_template = "admin/payments/payment/change_form.html"
    Media = AdminMedia

    def get_readonly_fields(self, request, obj=None):
        return [name for _, options in self.fieldsets for name in options["fields"]]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("order")

    def has_capture_permission(self, request, obj=None) -> bool:
        return request.user.has_perm("payments.change_payment")

    def has_void_permission(self, request, obj=None) -> bool:
        return request.user.has_perm("payments.change_payment")

    def has_refund_permission(self, request, obj=None) -> bool:
        # Only refunds with no return behind them are made here; a returns clerk refunds
        # through the return.
        return request.user.has_perm(REFUND_ADJUSTMENT_PERMISSION)

    # What the refund page offers about the goods; the back office (shop.backoffice), which
    # may cancel shipments, offers "still ship" / "cancel the rest".
    decision_choices: tuple = ()

    def issue_refund(self, request, payment: Payment, data: dict):
        return refund_payment(payment=payment, amount=data["amount"], reason=data["reason"],
                              actor=request.user, refund_reason=data["refund_reason"])

    @admin.display(description="Order", ordering="order__number")
    def order_link(self, payment: Payment):
        return format_html('<a href="{}">{}</a>',
                           reverse("admin:orders_order_change", args=[payment.order_id]),
                           payment.order.number)

    @admin.display(description="Amount", ordering="amount")
    def amount_money(self, payment: Payment) -> str:
        return str(payment.money("amount"))

    @admin.display(description="Captured", ordering="captured_amount")
    def captured_money(self, payment: Payment) -> str:
        return str(payment.money("captured_amount"))

    @admin.display(description="Refunded", ordering="refunded_amount")
    def refunded_money(self, payment: Payment) -> str:
        return str(payment.money("refunded_amount"))

    @admin.display(description="Refundable")
    def refundable_money(self, payment: Payment) -> str:
        return str(payment.money("refundable_amount"))

    # --- list actions ---------------------------------------------------------------------

    def _each(self, request, queryset, run, done: str) -> None:
        for payment in queryset.order_by("pk"):
            try:
                run(payment)
            except ShopError as error:
                self.message_user(request, f"Payment of order {payment.order.number}: "
                                           f"{error.message}", messages.ERROR)
            else:
                self.message_user(request, f"Payment of order {payment.order.number} {done}.",
                                  messages.SUCCESS)

    @admin.action(description="Capture authorized payment", permissions=["capture"])
    def capture_selected(self, request, queryset):
        self._each(request, queryset,
                   lambda payment: capture_payment(payment=payment, actor=request.user),
                   "captured")

    @admin.action(description="Void (cancel before capture)", permissions=["void"])
    def void_selected(self, request, queryset):
        self._each(request, queryset,
                   lambda payment: void_payment(payment=payment, actor=request.user), "voided")

    @admin.action(description="Refund…", permissions=["refund"])
    def refund_selected(self, request, queryset):
        selected = list(queryset.values_list("pk", flat=True)[:2])
        if len(selected) != 1:
            self.message_user(request, "Refund one payment at a time: select just one.",
                              messages.ERROR)
            return None
        return HttpResponseRedirect(reverse("admin:payments_payment_refund", args=selected))

    # --- buttons and the refund page ------------------------------------------------------

    def get_urls(self):
        def view(function):
            return self.admin_site.admin_view(function)

        return [
            path("<int:pk>/capture/", view(self.capture_view), name="payments_payment_capture"),
            path("<int:pk>/void/", view(self.void_view), name="payments_payment_void"),
            path("<int:pk>/refund/", view(self.refund_view), name="payments_payment_refund"),
            *super().get_urls(),
        ]

    def render_change_form(self, request, context, add=False, change=False, form_url="",
                           obj=None):
        if obj is not None:
            context["payment_tools"] = {
                "capture": obj.state == State.AUTHORIZED
                and self.has_capture_permission(request, obj),
                "void": obj.state in SETTLEABLE and self.has_void_permission(request, obj),
                "refund": (obj.state in REFUNDABLE and obj.refundable_amount > 0
                           and self.has_refund_permission(request, obj)),
            }
        return super().render_change_form(request, context, add, change, form_url, obj)

    def _payment_page(self, pk: int) -> HttpResponseRedirect:
        return HttpResponseRedirect(reverse("admin:payments_payment_change", args=[pk]))

    def _button(self, request, pk: int, *, allowed: bool, run, done: str):
        if not allowed:
            raise PermissionDenied
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        payment = get_object_or_404(Payment, pk=pk)
        try:
            run(payment)
        except ShopError as error:
            self.message_user(request, error.message, messages.ERROR)
        else:
            self.message_user(request, done, messages.SUCCESS)
        return self._payment_page(pk)

    def capture_view(self, request, pk: int):
        return self._button(
            request, pk, allowed=self.has_capture_permission(request), done="Payment captured.",
            run=lambda payment: capture_payment(payment=payment, actor=request.user))

    def void_view(self, request, pk: int):
        return self._button(
            request, pk, allowed=self.has_void_permission(request), done="Payment voided.",
            run=lambda payment: void_payment(payment=payment, actor=request.user))

    def refund_view(self, request, pk: int):
        if not self.has_refund_permission(request):
            raise PermissionDenied
        payment = get_object_or_404(Payment.objects.select_related("order"), pk=pk)
        if payment.state not in REFUNDABLE or payment.refundable_amount <= 0:
            self.message_user(request, f"This payment is {payment.get_state_display().lower()}"
                                       "; there is nothing to refund.", messages.ERROR)
            return self._payment_page(pk)
        form = RefundForm(request.POST if request.method == "POST" else None, payment=payment,
                          decision_choices=self.decision_choices)
        if form.is_bound and form.is_valid():
            try:
                self.issue_refund(request, payment, form.cleaned_data)
            except ShopError as error:
                if error.status_code == 403:
                    raise PermissionDenied(error.message) from error
                form.add_error("amount", error.message)
            else:
                refunded = Money(form.cleaned_data["amount"], payment.currency)
                self.message_user(request, f"Refunded {refunded} on order "
                                           f"{payment.order.number}.", messages.SUCCESS)
                return self._payment_page(pk)
        context = {
            **self.admin_site.each_context(request),
            "title": f"Refund a payment of order {payment.order.number}",
            "opts": self.opts,
            "original": payment,
            "form": form,
            "has_view_permission": self.has_view_permission(request, payment),
            "submit_label": "Refund",
            "intro": f"A price adjustment or goodwill refund, with no return behind it. It "
                     f"goes back to the original payment method "
                     f"({payment.card_label or payment.get_gateway_display()}).",
        }
        return TemplateResponse(request, SERVICE_FORM_TEMPLATE, context)


# --- Stripe events --------------------------------------------------------------------------


@admin.register(StripeEvent)
class StripeEventAdmin(admin.ModelAdmin):
    """The webhook log: each event stored once by its id, with what processing made of it."""

    list_display = ("event_id", "type", "object_id", "received_at", "processed_at", "result")
    list_filter = ("type", "received_at")
    search_fields = ("event_id", "object_id")
    search_help_text = "Event id, or the id of the object it is about (a PaymentIntent)."
    date_hierarchy = "received_at"
    fields = ("event_id", "type", "object_id", "received_at", "processed_at", "result",
              "payload_json")
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="Payload")
    def payload_json(self, event: StripeEvent):
        return format_html('<pre class="stripe-payload">{}</pre>',
                           json.dumps(event.payload, indent=2, sort_keys=True))


