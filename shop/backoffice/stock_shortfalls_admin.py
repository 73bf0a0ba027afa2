"""The stock shortfalls queue in admin: paid orders whose payment came after their stock was
released and that could not be allocated again. Oldest first, with their age and the value
at risk. Each way out is a small form or button that calls one service; refusals are
messages, never 500s. It lives in the back office because "cancel and refund" settles
money.
"""

from __future__ import annotations

from datetime import timedelta

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html

from catalog.models import Variant
from inventory.models import Warehouse
from kernel.admin import SERVICE_FORM_TEMPLATE, ReadOnlyAdminMixin
from kernel.errors import ShopError
from kernel.money import Money
from orders import services as order_services
from orders.models import StockShortfall
from payments.services import cancel_stock_shortfall

State = StockShortfall.State


class BackorderForm(forms.Form):
    expected_on = forms.DateField(label="Stock expected on", widget=forms.DateInput(
        attrs={"type": "date"}), help_text="The shopper is emailed this date. Filled in from "
                                           "the open purchase orders when they bring the stock.")


class WarehouseForm(forms.Form):
    warehouse = forms.ModelChoiceField(label="Allocate from", queryset=Warehouse.objects.none())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["warehouse"].queryset = Warehouse.objects.filter(is_active=True)


class SubstituteForm(forms.Form):
    line = forms.TypedChoiceField(label="Instead of", coerce=int)
    sku = forms.CharField(label="Offer the SKU", max_length=64,
                          help_text="Another active variant; the shopper pays nothing more "
                                    "and accepts or declines by email.")

    def __init__(self, *args, shortfall: StockShortfall, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["line"].choices = [(line.pk, f"{line.description} ({line.sku})")
                                       for line in shortfall.order.lines.all()]

    def clean_sku(self):
        sku = self.cleaned_data["sku"].strip()
        variant = Variant.objects.filter(sku=sku, is_active=True).select_related(
            "product").first()
        if variant is None:
            raise forms.ValidationError(f"No variant on sale has the SKU {sku}.")
        self.cleaned_data["variant"] = variant
        return sku


@admin.register(StockShortfall)
class StockShortfallAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("order_number", "state", "age", "value", "short", "expected_on",
                    "created_at")
    list_display_links = ("order_number",)
    list_filter = ("state", "resolution")
    search_fields = ("order__number", "order__email")
    list_select_related = ("order",)
    readonly_fields = ("order_link", "state", "resolution", "reason", "short", "value",
                       "expected_on", "substitute_line", "substitute_variant", "note",
                       "created_at", "resolved_at", "resolved_by")
    fields = readonly_fields
    change_form_template = "admin/orders/stockshortfall/change_form.html"

    class Media:
        css = {"all": ["css/admin-orders.css"]}

    def get_queryset(self, request):
        return super().get_queryset(request).select_related(
            "order", "substitute_line", "substitute_variant", "resolved_by")

    def get_ordering(self, request):
        return ("created_at", "pk")

    def has_resolve_permission(self, request) -> bool:
        return request.user.has_perm("orders.resolve_stockshortfall")

    @admin.display(description="Order", ordering="order__number")
    def order_number(self, shortfall: StockShortfall) -> str:
        return shortfall.order.number

    @admin.display(description="Order")
    def order_link(self, shortfall: StockShortfall):
        return format_html('<a href="{}">{}</a>', reverse("admin:orders_order_change",
                                                          args=[shortfall.order_id]),
                           shortfall.order.number)

    @admin.display(description="Age")
    def age(self, shortfall: StockShortfall) -> str:
        age = (shortfall.resolved_at or timezone.now()) - shortfall.created_at
        if age < timedelta(hours=1):
            return f"{int(age.total_seconds() // 60)} min"
        if age < timedelta(days=2):
            return f"{int(age.total_seconds() // 3600)} h"
        return f"{age.days} days"

    @admin.display(description="Value at risk", ordering="value_at_risk")
    def value(self, shortfall: StockShortfall) -> str:
        return str(Money(shortfall.value_at_risk, shortfall.order.currency))

    @admin.display(description="Short")
    def short(self, shortfall: StockShortfall) -> str:
        return "; ".join(f"{row['sku']}: {row['wanted']} wanted, {row['free']} free"
                         for row in shortfall.short_lines) or "—"

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("<int:pk>/backorder/", view(self.backorder_view),
                 name="orders_stockshortfall_backorder"),
            path("<int:pk>/warehouse/", view(self.warehouse_view),
                 name="orders_stockshortfall_warehouse"),
            path("<int:pk>/substitute/", view(self.substitute_view),
                 name="orders_stockshortfall_substitute"),
            path("<int:pk>/retry/", view(self.retry_view), name="orders_stockshortfall_retry"),
            path("<int:pk>/cancel/", view(self.cancel_view),
                 name="orders_stockshortfall_cancel"),
            *super().get_urls(),
        ]

    def render_change_form(self, request, context, add=False, change=False, form_url="",
                           obj=None):
        context["shortfall_tools"] = bool(obj and obj.is_open
                                          and self.has_resolve_permission(request))
        return super().render_change_form(request, context, add=add, change=change,
                                          form_url=form_url, obj=obj)

    # --- Views ------------------------------------------------------------------------------

    def _page(self, pk: int):
        return HttpResponseRedirect(reverse("admin:orders_stockshortfall_change", args=[pk]))

    def _guard(self, request, pk: int) -> StockShortfall:
        if not self.has_resolve_permission(request):
            raise PermissionDenied
        return get_object_or_404(StockShortfall.objects.select_related("order"), pk=pk)

    def _form_page(self, request, shortfall, *, title, form, submit_label, intro="",
                   status=200):
        context = {**self.admin_site.each_context(request), "title": title, "opts": self.opts,
                   "original": shortfall, "form": form, "submit_label": submit_label,
                   "intro": intro, "has_view_permission": True}
        return TemplateResponse(request, SERVICE_FORM_TEMPLATE, context, status=status)

    def _run(self, request, shortfall, action, success: str):
        try:
            action()
        except ShopError as error:
            self.message_user(request, f"Order {shortfall.order.number}: {error.message}",
                              messages.ERROR)
            return False
        self.message_user(request, success, messages.SUCCESS)
        return True

    def backorder_view(self, request, pk: int):
        shortfall = self._guard(request, pk)
        from_purchase_orders = order_services.expected_restock_date(shortfall)
        form = BackorderForm(request.POST or None, initial={
            "expected_on": shortfall.expected_on or from_purchase_orders
            or timezone.now().date() + timedelta(days=7)})
        if form.is_bound and form.is_valid():
            if self._run(request, shortfall, lambda: order_services.backorder(
                    shortfall_id=pk, expected_on=form.cleaned_data["expected_on"],
                    actor=request.user),
                    f"Order {shortfall.order.number} backordered; the shopper is emailed "
                    "the date."):
                return self._page(pk)
        return self._form_page(request, shortfall, form=form, submit_label="Backorder",
                               title=f"Backorder order {shortfall.order.number}",
                               intro="The order waits, paid, and ships as soon as its stock "
                                     "can be allocated (checked every ten minutes).",
                               status=400 if form.is_bound else 200)

    def warehouse_view(self, request, pk: int):
        shortfall = self._guard(request, pk)
        form = WarehouseForm(request.POST or None)
        if form.is_bound and form.is_valid():
            if self._run(request, shortfall, lambda: order_services.fulfil_from_warehouse(
                    shortfall_id=pk, warehouse_id=form.cleaned_data["warehouse"].pk,
                    actor=request.user),
                    f"Order {shortfall.order.number} allocated from "
                    f"{form.cleaned_data['warehouse'].name}; it ships from there."):
                return self._page(pk)
        return self._form_page(request, shortfall, form=form, submit_label="Allocate",
                               title=f"Fulfil order {shortfall.order.number} from another "
                                     "warehouse", status=400 if form.is_bound else 200)

    def substitute_view(self, request, pk: int):
        shortfall = self._guard(request, pk)
        form = SubstituteForm(request.POST or None, shortfall=shortfall)
        if form.is_bound and form.is_valid():
            variant = form.cleaned_data["variant"]
            if self._run(request, shortfall, lambda: order_services.offer_substitute(
                    shortfall_id=pk, line_id=form.cleaned_data["line"], variant_id=variant.pk,
                    actor=request.user),
                    f"Offered {variant} to the shopper of order {shortfall.order.number}."):
                return self._page(pk)
        return self._form_page(request, shortfall, form=form, submit_label="Email the offer",
                               title=f"Offer a substitute for order {shortfall.order.number}",
                               status=400 if form.is_bound else 200)

    def retry_view(self, request, pk: int):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        shortfall = self._guard(request, pk)
        if order_services.retry_allocation(shortfall_id=pk, actor=request.user):
            self.message_user(request, f"Order {shortfall.order.number} allocated; it ships.",
                              messages.SUCCESS)
        else:
            self.message_user(request, f"Order {shortfall.order.number}: still not enough "
                                       "stock.", messages.ERROR)
        return self._page(pk)

    def cancel_view(self, request, pk: int):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        shortfall = self._guard(request, pk)
        self._run(request, shortfall, lambda: cancel_stock_shortfall(shortfall_id=pk,
                                                                     actor=request.user),
                  f"Order {shortfall.order.number} canceled and refunded in full; the shopper "
                  "is emailed an apology.")
        return self._page(pk)
