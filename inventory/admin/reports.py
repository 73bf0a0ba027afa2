"""Stock reports in admin: a variant's stock history (ledger table and on-hand chart), the
slow movers with the step that puts them on a timed clearance, and the clearances."""

from __future__ import annotations

from datetime import UTC, datetime, time

from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse

from catalog import services as catalog_services
from catalog.models import ClearanceDiscount, Variant
from kernel.admin import ReadOnlyAdminMixin
from kernel.errors import ShopError

from .. import charts, selectors
from ..forms import ClearanceForm, SlowMoverFilterForm

HISTORY_TEMPLATE = "admin/inventory/reports/history.html"
SLOW_MOVERS_TEMPLATE = "admin/inventory/reports/slow_movers.html"


def _context(model_admin, request, title: str, **context) -> dict:
    return {**model_admin.admin_site.each_context(request), "opts": model_admin.opts,
            "title": title, **context}


def history_view(model_admin, request, variant_id: int):
    """The ledger of one variant, newest first, under a chart of total on hand."""
    if not request.user.has_perm("inventory.view_stockmovement"):
        raise PermissionDenied
    variant = get_object_or_404(Variant.objects.select_related("product"), pk=variant_id)
    movements, series = selectors.stock_history(variant_id=variant.pk)
    chart = charts.on_hand_chart(series, title=f"{variant.sku}: units on hand over time")
    return TemplateResponse(request, HISTORY_TEMPLATE, _context(
        model_admin, request, f"Stock history: {variant.sku}", variant=variant,
        movements=movements, chart=chart, on_hand=series[-1].on_hand if series else 0))


def slow_movers_view(model_admin, request):
    """Variants with no sale in N days or more than M days of cover; tick some and put
    them on clearance for a while (needs the clearance permission)."""
    if not request.user.has_perm("inventory.view_stocklevel"):
        raise PermissionDenied
    filters = SlowMoverFilterForm(request.GET or None, initial={
        "days": settings.SHOP_SLOW_MOVER_DAYS, "cover": settings.SHOP_SLOW_MOVER_COVER_DAYS})
    days, cover = settings.SHOP_SLOW_MOVER_DAYS, settings.SHOP_SLOW_MOVER_COVER_DAYS
    if filters.is_bound and filters.is_valid():
        days, cover = filters.cleaned_data["days"], filters.cleaned_data["cover"]
    can_clear = request.user.has_perm("catalog.add_clearancediscount")
    clearance_form = ClearanceForm(request.POST if request.method == "POST" else None)
    errors = []
    if request.method == "POST":
        if not can_clear:
            raise PermissionDenied
        chosen = [int(pk) for pk in request.POST.getlist("variant") if pk.isdigit()]
        if not chosen:
            errors.append("Tick at least one variant to put on clearance.")
        elif clearance_form.is_valid():
            ends_at = datetime.combine(clearance_form.cleaned_data["ends_on"], time.min,
                                       tzinfo=UTC)
            try:
                made = catalog_services.start_clearance(
                    variant_ids=chosen, percent_off=clearance_form.cleaned_data["percent_off"],
                    ends_at=ends_at, user=request.user)
            except ShopError as error:
                errors.append(error.message)
            else:
                model_admin.message_user(
                    request, f"{len(made)} variant(s) on clearance until "
                             f"{ends_at:%Y-%m-%d}.", messages.SUCCESS)
                return HttpResponseRedirect(request.get_full_path())
    movers = selectors.slow_movers(days_without_sale=days, min_days_of_cover=cover)
    return TemplateResponse(request, SLOW_MOVERS_TEMPLATE, _context(
        model_admin, request, "Slow movers", movers=movers, filters=filters, days=days,
        cover=cover, clearance_form=clearance_form, can_clear=can_clear, errors=errors),
        status=400 if errors or clearance_form.errors else 200)


@admin.register(ClearanceDiscount)
class ClearanceDiscountAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Clearances, running and ended. Started from the slow-movers report; ending early is
    an action. Prices come back through ``catalog.services.end_clearance``."""

    list_display = ("variant", "percent_off", "original_price", "clearance_price", "starts_at",
                    "ends_at", "ended_at")
    list_select_related = ("variant__product",)
    list_filter = ("ended_at",)
    search_fields = ("variant__sku",)
    actions = ["end_now"]

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.opts.fields]

    def has_end_permission(self, request):
        return request.user.has_perm("catalog.add_clearancediscount")

    @admin.action(description="End the clearance now (restore prices)", permissions=["end"])
    def end_now(self, request, queryset):
        ended = sum(catalog_services.end_clearance(clearance_id=pk)
                    for pk in queryset.order_by("pk").values_list("pk", flat=True))
        self.message_user(request, f"{ended} clearance(s) ended.", messages.SUCCESS)
