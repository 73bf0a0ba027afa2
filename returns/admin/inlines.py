"""The parts of a return's page in admin: its lines and its timeline, read-only, shown to
whoever may view the return (clerks have no permissions on lines or events of their
own)."""

from __future__ import annotations

from django.contrib import admin
from django.utils.html import format_html

from kernel.admin import ReadOnlyInline
from kernel.money import Money

from ..models import ReturnEvent, ReturnLine

Condition = ReturnLine.Condition


class ReturnLineInline(ReadOnlyInline):
    model = ReturnLine
    view_permission = "returns.view_returnrequest"
    fields = ("sku", "item", "quantity", "reason_text", "exchange_for", "condition_text",
              "restock_text", "restock_warehouse", "refund_money")
    readonly_fields = fields
    verbose_name_plural = "lines"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related(
            "order_line", "exchange_variant__product", "restock_level__warehouse",
            "return_request__order")  # the formset sets only the id of its parent

    @admin.display(description="SKU")
    def sku(self, line: ReturnLine) -> str:
        return line.order_line.sku

    @admin.display(description="Item")
    def item(self, line: ReturnLine) -> str:
        return line.order_line.description

    @admin.display(description="Reason")
    def reason_text(self, line: ReturnLine):
        if line.reason_note:
            return format_html("{}<br><q>{}</q>", line.get_reason_display(), line.reason_note)
        return line.get_reason_display()

    @admin.display(description="Exchange for")
    def exchange_for(self, line: ReturnLine) -> str:
        return str(line.exchange_variant) if line.exchange_variant_id else "—"

    @admin.display(description="Condition")
    def condition_text(self, line: ReturnLine) -> str:
        return line.get_condition_display() if line.condition else "Not inspected"

    @admin.display(description="Restock")
    def restock_text(self, line: ReturnLine) -> str:
        if not line.condition:
            return "—"
        if line.restock:
            return "Restocked" if line.restocked_at else "To restock"
        if line.condition == Condition.DAMAGED:
            return "Written off" if line.restocked_at else "To write off"
        return "No"

    @admin.display(description="Restock warehouse")
    def restock_warehouse(self, line: ReturnLine) -> str:
        return str(line.restock_level.warehouse) if line.restock_level_id else "—"

    @admin.display(description="Refund")
    def refund_money(self, line: ReturnLine) -> str:
        if not line.condition:
            return "—"
        return str(Money(line.refund_amount, line.return_request.order.currency))


class ReturnEventInline(ReadOnlyInline):
    model = ReturnEvent
    view_permission = "returns.view_returnrequest"
    fields = ("created_at", "state", "message", "actor")
    readonly_fields = fields
    ordering = ("created_at", "pk")
    verbose_name_plural = "timeline"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor")
