"""The parts of the order page in admin: its lines (with where their stock is allocated),
its payments (with the gateway calls behind them) and its timeline, all read-only; and
the fraud review filter of the order list."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import Prefetch
from django.utils.html import format_html, format_html_join

from kernel.admin import ReadOnlyInline
from kernel.money import Money
from orders.models import Order, OrderEvent, OrderLine
from payments.models import GatewayCall, Payment


def money(amount, currency: str) -> str:
    return str(Money(amount, currency))


class OrderLineInline(ReadOnlyInline):
    model = OrderLine
    view_permission = "orders.view_order"
    fields = ("sku", "description", "quantity", "quantity_fulfilled", "quantity_canceled",
              "unit_price_money",
              "discount_money", "tax_money", "total_money", "allocated_from")
    readonly_fields = fields
    verbose_name_plural = "lines"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("order").prefetch_related(
            "allocations__stock_level__warehouse")

    @admin.display(description="Item")
    def description(self, line: OrderLine) -> str:
        return line.description

    @admin.display(description="Unit price")
    def unit_price_money(self, line: OrderLine) -> str:
        return money(line.unit_price, line.order.currency)

    @admin.display(description="Discount")
    def discount_money(self, line: OrderLine) -> str:
        return money(line.discount_amount, line.order.currency)

    @admin.display(description="Tax")
    def tax_money(self, line: OrderLine) -> str:
        return money(line.tax_amount, line.order.currency)

    @admin.display(description="Total")
    def total_money(self, line: OrderLine) -> str:
        return money(line.total, line.order.currency)

    @admin.display(description="Allocated (warehouse)")
    def allocated_from(self, line: OrderLine) -> str:
        allocations = sorted(line.allocations.all(), key=lambda a: a.stock_level.warehouse.code)
        if not allocations:
            return "—"
        return ", ".join(f"{a.quantity} at {a.stock_level.warehouse.code}" for a in allocations)


class PaymentInline(ReadOnlyInline):
    model = Payment
    view_permission = "payments.view_payment"
    fields = ("created_at", "gateway", "state", "amount_money", "captured_money",
              "refunded_money", "card_label", "gateway_reference", "gateway_calls")
    readonly_fields = fields
    show_change_link = True
    ordering = ("created_at", "pk")

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related(
            Prefetch("calls", queryset=GatewayCall.objects.order_by("created_at", "pk")))

    @admin.display(description="Amount")
    def amount_money(self, payment: Payment) -> str:
        return str(payment.money("amount"))

    @admin.display(description="Captured")
    def captured_money(self, payment: Payment) -> str:
        return str(payment.money("captured_amount"))

    @admin.display(description="Refunded")
    def refunded_money(self, payment: Payment) -> str:
        return str(payment.money("refunded_amount"))

    @admin.display(description="Gateway calls")
    def gateway_calls(self, payment: Payment):
        calls = list(payment.calls.all())
        if not calls:
            return "—"
        return format_html('<ul class="gateway-calls">{}</ul>', format_html_join(
            "", "<li>{} {}: {}{}</li>",
            ((call.get_kind_display(), money(call.amount, call.currency),
              call.get_outcome_display().lower(), f" ({call.error})" if call.error else "")
             for call in calls)))


class OrderEventInline(ReadOnlyInline):
    model = OrderEvent
    view_permission = "orders.view_order"
    fields = ("created_at", "type", "message", "actor")
    readonly_fields = fields
    ordering = ("created_at", "pk")
    verbose_name_plural = "timeline"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor")


class RiskFilter(admin.SimpleListFilter):
    title = "fraud review"
    parameter_name = "risk"

    def lookups(self, request, model_admin):
        return Order.Risk.choices

    def queryset(self, request, queryset):
        return queryset.filter(risk=self.value()) if self.value() else queryset
