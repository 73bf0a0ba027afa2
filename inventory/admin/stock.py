"""Inventory admin. ``on_hand`` and ``allocated`` are read-only here: stock moves only
through ``inventory.services`` (receive, count), each change with a ledger line, and the
ledger itself cannot be edited."""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from kernel.admin import SERVICE_FORM_TEMPLATE, ReadOnlyAdminMixin

from .. import services
from ..exceptions import StockError
from ..forms import (
    AdjustCountForm,
    QualityHoldForm,
    ReceiveNewStockForm,
    ReceiveStockForm,
    SafetyStockForm,
)
from ..models import StockLevel, StockMovement, UnsellableChange, Warehouse
from ..selectors import level_available_expression
from . import reports


def posted(request):
    """The submitted data, or None for a GET (so a POST with no fields still shows errors)."""
    return request.POST if request.method == "POST" else None


@admin.register(Warehouse)
class WarehouseAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "city", "country_code", "priority", "is_active",
                    "allows_store_pickup", "ship_cutoff")
    list_filter = ("is_active", "allows_store_pickup", "country_code")
    search_fields = ("code", "name", "city", "postal_code")
    ordering = ("priority", "code")


@admin.register(StockLevel)
class StockLevelAdmin(admin.ModelAdmin):
    list_display = ("sku", "product", "warehouse", "on_hand", "allocated", "unsellable",
                    "safety_stock", "available_units", "bin_location", "stock_links")
    list_select_related = ("variant__product", "warehouse")
    list_filter = ("warehouse",)
    search_fields = ("variant__sku", "variant__barcode", "variant__product__title")
    search_help_text = "SKU, barcode or product title."
    fields = ("variant", "warehouse", "on_hand", "allocated", "unsellable", "safety_stock",
              "available", "bin_location", "updated_at")
    # Counters move only through the services below, each with a ledger line (or, for
    # quality holds, an entry of its own).
    readonly_fields = ("variant", "warehouse", "on_hand", "allocated", "unsellable",
                       "safety_stock", "available", "updated_at")

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(
            available_units=level_available_expression()
        )

    def has_add_permission(self, request):
        # A stock level comes into being when stock is first received ("Receive stock").
        return False

    def get_list_display(self, request):
        if self.has_change_permission(request):
            return self.list_display
        return tuple(name for name in self.list_display if name != "stock_links")

    def changelist_view(self, request, extra_context=None):
        extra_context = {"has_change_permission": self.has_change_permission(request),
                         **(extra_context or {})}
        return super().changelist_view(request, extra_context)

    def save_model(self, request, obj, form, change):
        # Only the bin may be edited here; never write back counters read before the form
        # was shown, or a receipt made meanwhile would be lost.
        obj.save(update_fields=["bin_location", "updated_at"])

    @admin.display(description="SKU", ordering="variant__sku")
    def sku(self, level: StockLevel) -> str:
        return level.variant.sku

    @admin.display(description="Product", ordering="variant__product__title")
    def product(self, level: StockLevel) -> str:
        return level.variant.product.title

    @admin.display(description="Available", ordering="available_units")
    def available_units(self, level: StockLevel) -> int:
        return max(level.available_units, 0)

    @admin.display(description="Stock")
    def stock_links(self, level: StockLevel):
        return format_html(
            '<a href="{}">Receive</a> · <a href="{}">Count</a> · <a href="{}">Hold</a> · '
            '<a href="{}">Safety stock</a> · <a href="{}">History</a>',
            reverse("admin:inventory_stocklevel_receive", args=[level.pk]),
            reverse("admin:inventory_stocklevel_adjust", args=[level.pk]),
            reverse("admin:inventory_stocklevel_hold", args=[level.pk]),
            reverse("admin:inventory_stocklevel_safety", args=[level.pk]),
            reverse("admin:inventory_stocklevel_stock_history", args=[level.variant_id]),
        )

    # --- receive and count pages ----------------------------------------------------------

    def get_urls(self):
        def view(function):
            return self.admin_site.admin_view(function)

        return [
            path("receive/", view(self.receive_new_view), name="inventory_stocklevel_receive_new"),
            path("stock-history/<int:variant_id>/", view(self.stock_history_view),
                 name="inventory_stocklevel_stock_history"),
            path("slow-movers/", view(self.slow_movers_view),
                 name="inventory_stocklevel_slow_movers"),
            path("<path:object_id>/receive/", view(self.receive_view),
                 name="inventory_stocklevel_receive"),
            path("<path:object_id>/adjust/", view(self.adjust_view),
                 name="inventory_stocklevel_adjust"),
            path("<path:object_id>/hold/", view(self.hold_view),
                 name="inventory_stocklevel_hold"),
            path("<path:object_id>/safety-stock/", view(self.safety_view),
                 name="inventory_stocklevel_safety"),
            *super().get_urls(),
        ]

    def stock_history_view(self, request, variant_id: int):
        return reports.history_view(self, request, variant_id)

    def slow_movers_view(self, request):
        return reports.slow_movers_view(self, request)

    def _level_or_404(self, request, object_id) -> StockLevel:
        level = get_object_or_404(
            StockLevel.objects.select_related("variant__product", "warehouse"), pk=object_id
        )
        if not self.has_change_permission(request, level):
            raise PermissionDenied
        return level

    def _render(self, request, *, form, title, submit_label, level=None, intro=""):
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": title,
            "form": form,
            "original": level,
            "intro": intro,
            "submit_label": submit_label,
            "has_view_permission": self.has_view_permission(request, level),
        }
        # A form sent back with errors is a 400: the message is on the page, nothing moved.
        status = 400 if form.is_bound and form.errors else 200
        return TemplateResponse(request, SERVICE_FORM_TEMPLATE, context, status=status)

    def _done(self, request, movement) -> HttpResponseRedirect:
        level = movement.stock_level
        self.message_user(
            request,
            f"{level.variant.sku} at {level.warehouse.code}: {movement.quantity:+d} "
            f"({movement.get_kind_display().lower()}); on hand is now {movement.on_hand_after}.",
            messages.SUCCESS,
        )
        return HttpResponseRedirect(reverse("admin:inventory_stocklevel_changelist"))

    @staticmethod
    def _receive(request, form, *, variant, warehouse):
        """Receive what the form says; a refusal goes onto the form and returns None."""
        try:
            return services.receive_stock(
                variant=variant,
                warehouse=warehouse,
                quantity=form.cleaned_data["quantity"],
                reference=form.cleaned_data["reference"],
                reason=form.cleaned_data["reason"] or "Stock received",
                user=request.user,
            )
        except StockError as error:
            form.add_error(None, error.message)
            return None

    def receive_new_view(self, request):
        if not self.has_change_permission(request):
            raise PermissionDenied
        form = ReceiveNewStockForm(posted(request))
        if form.is_bound and form.is_valid():
            movement = self._receive(request, form, variant=form.cleaned_data["sku"],
                                     warehouse=form.cleaned_data["warehouse"])
            if movement is not None:
                return self._done(request, movement)
        return self._render(request, form=form, title="Receive stock", submit_label="Receive")

    def receive_view(self, request, object_id):
        level = self._level_or_404(request, object_id)
        form = ReceiveStockForm(posted(request))
        if form.is_bound and form.is_valid():
            movement = self._receive(request, form, variant=level.variant,
                                     warehouse=level.warehouse)
            if movement is not None:
                return self._done(request, movement)
        return self._render(
            request, form=form, level=level, title=f"Receive stock: {level}",
            submit_label="Receive",
            intro=f"On hand {level.on_hand}, allocated {level.allocated}.",
        )

    def adjust_view(self, request, object_id):
        level = self._level_or_404(request, object_id)
        form = AdjustCountForm(posted(request), initial={"counted": level.on_hand})
        if form.is_bound and form.is_valid():
            try:
                movement = services.adjust_stock_count(
                    variant=level.variant,
                    warehouse=level.warehouse,
                    counted=form.cleaned_data["counted"],
                    reason=form.cleaned_data["reason"],
                    reference=form.cleaned_data["reference"],
                    user=request.user,
                )
            except StockError as error:
                form.add_error(None, error.message)
            else:
                if movement is None:
                    self.message_user(
                        request, f"{level}: the count matches on hand; nothing changed.",
                        messages.INFO,
                    )
                    return HttpResponseRedirect(
                        reverse("admin:inventory_stocklevel_changelist")
                    )
                return self._done(request, movement)
        return self._render(
            request, form=form, level=level, title=f"Adjust count: {level}",
            submit_label="Save count",
            intro=f"On hand {level.on_hand}, allocated {level.allocated}, on quality hold "
                  f"{level.unsellable} (the count cannot go below allocated and held).",
        )

    def hold_view(self, request, object_id):
        """Units that can't be sold (damaged, awaiting inspection, recalled) stay on hand but
        leave what the storefront offers; released, or written off with a ledger line."""
        level = self._level_or_404(request, object_id)
        form = QualityHoldForm(posted(request))
        if form.is_bound and form.is_valid():
            action = {"hold": services.hold_units, "release": services.release_held_units,
                      "write_off": services.write_off_held_units}[form.cleaned_data["action"]]
            try:
                change = action(stock_level_id=level.pk,
                                quantity=form.cleaned_data["quantity"],
                                reason=form.cleaned_data["reason"], user=request.user)
            except StockError as error:
                form.add_error(None, error.message)
            else:
                self.message_user(
                    request, f"{level}: {change.quantity} unit(s) "
                             f"{change.get_kind_display().lower()}; {change.unsellable_after} "
                             "now on hold.", messages.SUCCESS)
                return HttpResponseRedirect(reverse("admin:inventory_stocklevel_changelist"))
        return self._render(
            request, form=form, level=level, title=f"Quality hold: {level}",
            submit_label="Save",
            intro=f"On hand {level.on_hand}, allocated {level.allocated}, on hold "
                  f"{level.unsellable}, free {level.free}.")

    def safety_view(self, request, object_id):
        level = self._level_or_404(request, object_id)
        form = SafetyStockForm(posted(request), initial={"safety_stock": level.safety_stock})
        if form.is_bound and form.is_valid():
            try:
                level = services.set_safety_stock(
                    stock_level_id=level.pk, quantity=form.cleaned_data["safety_stock"],
                    user=request.user)
            except StockError as error:
                form.add_error(None, error.message)
            else:
                self.message_user(request, f"{level}: safety stock {level.safety_stock}; "
                                           f"{level.available} available to sell.",
                                  messages.SUCCESS)
                return HttpResponseRedirect(reverse("admin:inventory_stocklevel_changelist"))
        return self._render(request, form=form, level=level,
                            title=f"Safety stock: {level}", submit_label="Save",
                            intro=f"Free {level.free}; the storefront sells what is above "
                                  "the safety stock.")


@admin.register(StockMovement)
class StockMovementAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """The stock ledger: read it, filter it, never edit it."""

    list_display = ("created_at", "sku", "warehouse", "kind", "signed_quantity",
                    "on_hand_after", "reference", "reason", "user")
    list_select_related = ("stock_level__variant", "stock_level__warehouse", "user")
    list_filter = ("kind", "stock_level__warehouse")
    search_fields = ("stock_level__variant__sku", "reference")
    search_help_text = "SKU or reference."
    date_hierarchy = "created_at"

    @admin.display(description="SKU", ordering="stock_level__variant__sku")
    def sku(self, movement: StockMovement) -> str:
        return movement.stock_level.variant.sku

    @admin.display(description="Warehouse", ordering="stock_level__warehouse__code")
    def warehouse(self, movement: StockMovement) -> str:
        return movement.stock_level.warehouse.code

    @admin.display(description="Quantity", ordering="quantity")
    def signed_quantity(self, movement: StockMovement) -> str:
        return f"{movement.quantity:+d}"


@admin.register(UnsellableChange)
class UnsellableChangeAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Units moved onto and off quality hold: read it, never edit it."""

    list_display = ("created_at", "stock_level", "kind", "quantity", "unsellable_after",
                    "reason", "user")
    list_select_related = ("stock_level__variant", "stock_level__warehouse", "user")
    list_filter = ("kind", "stock_level__warehouse")
    search_fields = ("stock_level__variant__sku", "reason")

