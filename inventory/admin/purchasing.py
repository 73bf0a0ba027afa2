"""Suppliers, their prices and reorder rules (settings, edited as forms), and purchase
orders (a workflow: drafted, sent, received by scanning or typing, closed short or
canceled, each step a service call behind its permission)."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import Sum
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path, reverse

from kernel.admin import SERVICE_FORM_TEMPLATE
from kernel.documents import pdf_download
from kernel.errors import ShopError
from kernel.forms import posted

from .. import services
from ..documents import purchase_order_pdf
from ..forms import PurchaseOrderForm, ReasonForm
from ..models import (
    PurchaseOrder,
    PurchaseOrderEvent,
    PurchaseOrderLine,
    ReorderRule,
    Supplier,
    SupplierPrice,
)
from .base import OperationScreens, require

RECEIVE_TEMPLATE = "admin/inventory/purchaseorder/receive.html"


class SupplierPriceInline(admin.TabularInline):
    model = SupplierPrice
    extra = 1
    raw_id_fields = ("variant",)
    fields = ("variant", "supplier_sku", "cost", "minimum_order_quantity", "pack_size")


@admin.register(Supplier)
class SupplierAdmin(admin.ModelAdmin):
    list_display = ("name", "contact_email", "lead_time_days", "currency", "is_active")
    list_filter = ("is_active", "currency")
    search_fields = ("name", "contact_email")
    inlines = [SupplierPriceInline]


@admin.register(SupplierPrice)
class SupplierPriceAdmin(admin.ModelAdmin):
    list_display = ("variant", "supplier", "cost", "minimum_order_quantity", "pack_size")
    list_select_related = ("variant__product", "supplier")
    list_filter = ("supplier",)
    search_fields = ("variant__sku", "supplier__name", "supplier_sku")
    raw_id_fields = ("variant",)


@admin.register(ReorderRule)
class ReorderRuleAdmin(admin.ModelAdmin):
    list_display = ("variant", "warehouse", "method", "reorder_point", "reorder_quantity",
                    "velocity_window_days", "safety_days", "supplier", "is_active")
    list_select_related = ("variant__product", "warehouse", "supplier")
    list_filter = ("method", "warehouse", "is_active")
    search_fields = ("variant__sku", "variant__product__title")
    raw_id_fields = ("variant",)
    fieldsets = [
        (None, {"fields": ("variant", "warehouse", "method", "supplier", "is_active")}),
        ("Fixed point", {"fields": ("reorder_point", "reorder_quantity"),
                         "description": "Reorder when available + incoming is at or below "
                                        "the point; order up to point + quantity."}),
        ("From sales velocity", {"fields": ("velocity_window_days", "safety_days"),
                                 "description": "Point = average daily shipments over the "
                                                "window x (lead time + safety days). The "
                                                "quantity, if empty, is a window's sales."}),
    ]


class PurchaseOrderLineInline(admin.TabularInline):
    model = PurchaseOrderLine
    extra = 0
    fields = ("variant", "quantity_ordered", "quantity_received", "unit_cost")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


class PurchaseOrderEventInline(admin.TabularInline):
    model = PurchaseOrderEvent
    extra = 0
    fields = ("created_at", "type", "message", "user")
    readonly_fields = fields
    can_delete = False
    verbose_name_plural = "Timeline"

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(PurchaseOrder)
class PurchaseOrderAdmin(OperationScreens, admin.ModelAdmin):
    list_display = ("number", "supplier", "warehouse", "status", "expected_on", "units",
                    "drafted_automatically", "created_at")
    list_select_related = ("supplier", "warehouse")
    list_filter = ("status", "supplier", "warehouse", "drafted_automatically")
    search_fields = ("supplier__name", "lines__variant__sku")
    inlines = [PurchaseOrderLineInline, PurchaseOrderEventInline]
    readonly_extra = ("number",)

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(
            ordered=Sum("lines__quantity_ordered"), received=Sum("lines__quantity_received"))

    @admin.display(description="Received / ordered")
    def units(self, purchase_order):
        return f"{purchase_order.received or 0} / {purchase_order.ordered or 0}"

    def get_urls(self):
        def view(function):
            return self.admin_site.admin_view(function)

        return [
            path("<int:pk>/send/", view(self.send_view), name="inventory_purchaseorder_send"),
            path("<int:pk>/receive/", view(self.receive_view),
                 name="inventory_purchaseorder_receive"),
            path("<int:pk>/close/", view(self.close_view), name="inventory_purchaseorder_close"),
            path("<int:pk>/cancel/", view(self.cancel_view),
                 name="inventory_purchaseorder_cancel"),
            path("<int:pk>/pdf/", view(self.pdf_view), name="inventory_purchaseorder_pdf"),
            *super().get_urls(),
        ]

    def _change_url(self, purchase_order) -> HttpResponseRedirect:
        return HttpResponseRedirect(reverse("admin:inventory_purchaseorder_change",
                                            args=[purchase_order.pk]))

    def add_view(self, request, form_url="", extra_context=None):
        require(request, "inventory.add_purchaseorder")
        form = PurchaseOrderForm(posted(request))
        if form.is_bound and form.is_valid():
            data = form.cleaned_data
            try:
                purchase_order = services.create_purchase_order(
                    supplier_id=data["supplier"].pk, warehouse_id=data["warehouse"].pk,
                    expected_on=data["expected_on"], note=data["note"], user=request.user,
                    lines=[services.LineRequest(variant_id=variant.pk, quantity=quantity,
                                                unit_cost=cost)
                           for variant, quantity, cost in data["lines"]])
            except ShopError as error:
                form.add_error(None, error.message)
            else:
                self.message_user(request, f"{purchase_order} drafted.", messages.SUCCESS)
                return self._change_url(purchase_order)
        return self.render_screen(request, SERVICE_FORM_TEMPLATE, title="New purchase order",
                                  form=form, submit_label="Save draft",
                                  status=400 if form.is_bound else 200)

    def has_add_permission(self, request):
        return request.user.has_perm("inventory.add_purchaseorder")

    @staticmethod
    def _step(request, function, **kwargs):
        try:
            return function(**kwargs, user=request.user), None
        except ShopError as error:
            return None, error

    def send_view(self, request, pk: int):
        require(request, "inventory.send_purchaseorder")
        if request.method != "POST":
            return HttpResponse("Send with the button on the purchase order.", status=405)
        purchase_order = get_object_or_404(PurchaseOrder, pk=pk)
        sent, error = self._step(request, services.send_purchase_order,
                                 purchase_order_id=purchase_order.pk)
        if error:
            self.message_user(request, error.message, messages.ERROR)
        else:
            self.message_user(request, f"{sent} sent to {sent.supplier}; the PDF is being "
                                       f"emailed to {sent.supplier.contact_email}.",
                              messages.SUCCESS)
        return self._change_url(purchase_order)

    def cancel_view(self, request, pk: int):
        require(request, "inventory.change_purchaseorder")
        purchase_order = get_object_or_404(PurchaseOrder, pk=pk)
        form = ReasonForm(posted(request))
        if form.is_bound and form.is_valid():
            _, error = self._step(request, services.cancel_purchase_order,
                                  purchase_order_id=pk, reason=form.cleaned_data["reason"])
            if error is None:
                self.message_user(request, f"{purchase_order} canceled.", messages.SUCCESS)
                return self._change_url(purchase_order)
            form.add_error(None, error.message)
        return self.render_screen(request, SERVICE_FORM_TEMPLATE, original=purchase_order,
                                  title=f"Cancel {purchase_order}", form=form,
                                  submit_label="Cancel purchase order",
                                  status=400 if form.is_bound else 200)

    def close_view(self, request, pk: int):
        require(request, "inventory.receive_purchaseorder")
        purchase_order = get_object_or_404(PurchaseOrder, pk=pk)
        form = ReasonForm(posted(request))
        if form.is_bound and form.is_valid():
            _, error = self._step(request, services.close_purchase_order,
                                  purchase_order_id=pk, reason=form.cleaned_data["reason"])
            if error is None:
                self.message_user(request, f"{purchase_order} closed short; the missing units "
                                           f"are recorded.", messages.SUCCESS)
                return self._change_url(purchase_order)
            form.add_error(None, error.message)
        return self.render_screen(
            request, SERVICE_FORM_TEMPLATE, original=purchase_order, form=form,
            title=f"Close {purchase_order} short", submit_label="Close short",
            intro="Nothing more will be expected from this order; each missing unit is "
                  "recorded as an under-receipt.", status=400 if form.is_bound else 200)

    def pdf_view(self, request, pk: int):
        purchase_order = get_object_or_404(PurchaseOrder.objects.select_related(
            "supplier", "warehouse"), pk=pk)
        if not self.has_view_permission(request, purchase_order):
            require(request, "inventory.view_purchaseorder")
        lines = list(purchase_order.lines.select_related("variant__product"))
        return pdf_download(purchase_order_pdf(purchase_order, lines),
                            filename=f"{purchase_order.number}.pdf")

    def receive_view(self, request, pk: int):
        """Receive by scanning (each scan adds one to its line, nothing written yet) or by
        typing quantities; "Receive" posts them all in one service call."""
        require(request, "inventory.receive_purchaseorder")
        purchase_order = get_object_or_404(PurchaseOrder.objects.select_related(
            "supplier", "warehouse"), pk=pk)
        lines = list(purchase_order.lines.select_related("variant__product").order_by("pk"))
        errors: list[str] = []
        quantities: dict[int, int] = {}
        for line in lines:
            raw = (request.POST.get(f"qty-{line.variant_id}") or "0").strip()
            try:
                quantities[line.variant_id] = int(raw)
            except ValueError:
                quantities[line.variant_id] = 0
                errors.append(f"{line.variant.sku}: {raw!r} is not a whole number.")
        scanned = ""
        if request.method == "POST" and "receive" not in request.POST:
            code = request.POST.get("code", "").strip()
            line = services.purchase_order_line_for_code(purchase_order=purchase_order,
                                                         code=code)
            if line is None:
                errors.append(f"{code or 'Nothing'} is not on {purchase_order}." if code
                              else "Scan or type a SKU or barcode.")
            else:
                quantities[line.variant_id] += 1
                scanned = line.variant.sku
        elif request.method == "POST" and not errors:
            receipt, error = self._step(
                request, services.receive_purchase_order, purchase_order_id=pk,
                quantities=quantities, allow_over_receipt=bool(request.POST.get("over")))
            if error is None:
                received = ", ".join(f"{movement.stock_level.variant.sku} +{movement.quantity}"
                                     for movement in receipt.movements)
                self.message_user(
                    request, f"Received {received} into {purchase_order.warehouse.code}; "
                             f"{receipt.purchase_order} is "
                             f"{receipt.purchase_order.get_status_display().lower()}.",
                    messages.SUCCESS)
                return self._change_url(purchase_order)
            errors.append(error.message)
        rows = [{"line": line, "receiving": quantities[line.variant_id]} for line in lines]
        return self.render_screen(
            request, RECEIVE_TEMPLATE, original=purchase_order,
            title=f"Receive {purchase_order}", rows=rows, errors=errors, scanned=scanned,
            over=bool(request.POST.get("over")),
            can_receive=purchase_order.status in PurchaseOrder.OPEN,
            status=400 if errors else 200)
