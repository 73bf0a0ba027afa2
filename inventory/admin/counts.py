"""Cycle counts: start one (warehouse, zone or SKU list), print the blind count sheet,
enter counted quantities, review variances with their value, approve to post them."""

from __future__ import annotations

from django.contrib import admin, messages
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path, reverse

from kernel.admin import SERVICE_FORM_TEMPLATE
from kernel.bounds import INTEGER_MAX
from kernel.errors import ShopError
from kernel.forms import posted

from .. import services
from ..forms import ApproveCountForm, StartCountForm
from ..models import StockCount
from .base import OperationScreens, require

COUNT_TEMPLATE = "admin/inventory/stockcount/count.html"
SHEET_TEMPLATE = "admin/inventory/stockcount/sheet.html"


@admin.register(StockCount)
class StockCountAdmin(OperationScreens, admin.ModelAdmin):
    list_display = ("number", "warehouse", "zone", "status", "created_at", "approved_at")
    list_select_related = ("warehouse",)
    list_filter = ("status", "warehouse")
    readonly_extra = ("number",)

    def has_add_permission(self, request):
        return request.user.has_perm("inventory.add_stockcount")

    def get_urls(self):
        def view(function):
            return self.admin_site.admin_view(function)

        return [
            path("<int:pk>/count/", view(self.count_view), name="inventory_stockcount_count"),
            path("<int:pk>/sheet/", view(self.sheet_view), name="inventory_stockcount_sheet"),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        # The count page is the record: lines, counts, variances and approval.
        if not object_id.isascii() or not object_id.isdigit():  # its URL takes a whole number
            raise Http404("No stock count has that id.")
        return HttpResponseRedirect(reverse("admin:inventory_stockcount_count",
                                            args=[object_id]))

    def add_view(self, request, form_url="", extra_context=None):
        require(request, "inventory.add_stockcount")
        form = StartCountForm(posted(request))
        if form.is_bound and form.is_valid():
            try:
                count = services.start_count(warehouse_id=form.cleaned_data["warehouse"].pk,
                                             zone=form.cleaned_data["zone"],
                                             skus=form.cleaned_data["skus"], user=request.user)
            except ShopError as error:
                form.add_error(None, error.message)
            else:
                self.message_user(request, f"{count} started: print the sheet, count, then "
                                           f"enter the quantities.", messages.SUCCESS)
                return HttpResponseRedirect(reverse("admin:inventory_stockcount_count",
                                                    args=[count.pk]))
        return self.render_screen(request, SERVICE_FORM_TEMPLATE, title="New cycle count",
                                  form=form, submit_label="Start count",
                                  status=400 if form.is_bound else 200)

    def _lines(self, count):
        return list(count.lines.select_related("stock_level__variant__product", "movement")
                    .order_by("stock_level__bin_location", "stock_level__variant__sku"))

    def sheet_view(self, request, pk: int):
        count = get_object_or_404(StockCount.objects.select_related("warehouse"), pk=pk)
        require(request, "inventory.view_stockcount")
        return self.render_screen(request, SHEET_TEMPLATE, original=count,
                                  title=f"Count sheet {count}", lines=self._lines(count))

    def count_view(self, request, pk: int):
        count = get_object_or_404(StockCount.objects.select_related("warehouse"), pk=pk)
        require(request, "inventory.view_stockcount")
        errors: list[str] = []
        approve_form = ApproveCountForm(request.POST if "approve" in request.POST else None)
        if request.method == "POST" and "enter" in request.POST:
            require(request, "inventory.change_stockcount")
            counted, errors = self._counted_from(request, count)
            if not errors:
                try:
                    services.enter_counts(count_id=count.pk, counted=counted, user=request.user)
                except ShopError as error:
                    errors.append(error.message)
                else:
                    self.message_user(request, "Counts saved.", messages.SUCCESS)
                    return HttpResponseRedirect(request.path)
        elif request.method == "POST" and "approve" in request.POST:
            require(request, "inventory.approve_stockcount")
            if approve_form.is_valid():
                try:
                    approval = services.approve_count(
                        count_id=count.pk, reason=approve_form.cleaned_data["reason"],
                        user=request.user)
                except ShopError as error:
                    errors.append(error.message)
                else:
                    level = messages.WARNING if approval.flagged else messages.SUCCESS
                    self.message_user(
                        request, f"{len(approval.posted)} adjustment(s) posted"
                                 + (f"; {len(approval.flagged)} line(s) flagged for review"
                                    if approval.flagged else "")
                                 + (f"; {approval.uncounted} not counted, left unchanged"
                                    if approval.uncounted else "") + ".", level)
                    return HttpResponseRedirect(request.path)
        count.refresh_from_db()
        lines = self._lines(count)
        for line in lines:
            cost = line.stock_level.variant.cost_price
            line.variance_value = (cost * line.variance
                                   if cost is not None and line.variance is not None else None)
        total_value = sum((line.variance_value for line in lines
                           if line.variance_value is not None), 0)
        open_count = count.status in (StockCount.Status.COUNTING, StockCount.Status.IN_REVIEW)
        return self.render_screen(
            request, COUNT_TEMPLATE, original=count, title=f"Cycle count {count}",
            lines=lines, errors=errors, approve_form=approve_form, total_value=total_value,
            can_enter=open_count and request.user.has_perm("inventory.change_stockcount"),
            can_approve=open_count and request.user.has_perm("inventory.approve_stockcount"),
            status=400 if errors or approve_form.errors else 200)

    @staticmethod
    def _counted_from(request, count):
        counted, errors = {}, []
        for line in count.lines.select_related("stock_level__variant").filter(
                posted_at__isnull=True):
            raw = request.POST.get(f"counted-{line.pk}", "").strip()
            if raw == "":
                continue
            try:
                value = int(raw)
            except ValueError:
                errors.append(f"{line.stock_level.variant.sku}: {raw[:20]!r} is not a whole "
                              "number.")
                continue
            if not 0 <= value <= INTEGER_MAX:  # on_hand is an integer column
                errors.append(f"{line.stock_level.variant.sku}: the count must be between 0 "
                              f"and {INTEGER_MAX}.")
                continue
            counted[line.pk] = value
        return counted, errors
