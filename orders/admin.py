"""Checkout configuration in admin: shipping zones and methods, tax rates, vouchers.

These are configuration with no workflow behind them, so the admin saves them directly (a
voucher's use count excepted: only placing an order moves it). The order admin lives in
``payments.admin``: its actions (cancel, capture) settle payments, and orders may not
import payments.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.db.models import Count

from .countries import COUNTRIES
from .models import (
    ShippingMethod,
    ShippingWeightTier,
    ShippingZone,
    TaxRate,
    Voucher,
    VoucherUse,
)

# --- Configuration --------------------------------------------------------------------------


class ShippingZoneForm(forms.ModelForm):
    class Meta:
        model = ShippingZone
        fields = ("name", "countries", "rest_of_world")

    def clean_countries(self) -> str:
        codes = [c.strip().upper() for c in self.cleaned_data["countries"].split(",") if c.strip()]
        unknown = [c for c in codes if c not in COUNTRIES]
        if unknown:
            raise forms.ValidationError(f"Unknown country codes: {', '.join(unknown)}.")
        return ", ".join(codes)


class ShippingMethodInline(admin.TabularInline):
    model = ShippingMethod
    fields = ("name", "kind", "price", "free_above", "min_delivery_days", "max_delivery_days",
              "pickup_warehouse", "is_active")
    extra = 0
    show_change_link = True


@admin.register(ShippingZone)
class ShippingZoneAdmin(admin.ModelAdmin):
    form = ShippingZoneForm
    list_display = ("name", "countries", "rest_of_world", "method_count")
    inlines = [ShippingMethodInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(method_total=Count("methods"))

    @admin.display(description="Methods", ordering="method_total")
    def method_count(self, zone):
        return zone.method_total


class WeightTierInline(admin.TabularInline):
    model = ShippingWeightTier
    extra = 1


@admin.register(ShippingMethod)
class ShippingMethodAdmin(admin.ModelAdmin):
    list_display = ("name", "zone", "kind", "price", "free_above", "delivery_window",
                    "pickup_warehouse", "is_active")
    list_filter = ("kind", "is_active", "zone")
    list_select_related = ("zone", "pickup_warehouse")
    search_fields = ("name",)
    inlines = [WeightTierInline]

    @admin.display(description="Delivery")
    def delivery_window(self, method):
        return f"{method.min_delivery_days}–{method.max_delivery_days} business days"

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        method = form.instance
        if method.kind == ShippingMethod.Kind.WEIGHT and not method.tiers.exists():
            self.message_user(request, f"{method.name} has no weight tiers, so it is offered "
                                       "for no cart. Add at least one tier.", messages.WARNING)
        warehouse = method.pickup_warehouse
        if method.is_pickup and warehouse and not warehouse.allows_store_pickup:
            self.message_user(request, f"{warehouse} does not allow store pickup, so this "
                                       "method is not offered.", messages.WARNING)


@admin.register(TaxRate)
class TaxRateAdmin(admin.ModelAdmin):
    list_display = ("country", "region", "name", "rate")
    list_filter = ("country",)
    search_fields = ("country", "region", "name")


class VoucherUseInline(admin.TabularInline):
    model = VoucherUse
    fields = ("order", "email", "created_at")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Voucher)
class VoucherAdmin(admin.ModelAdmin):
    list_display = ("code", "kind", "value", "min_subtotal", "starts_at", "ends_at",
                    "used_count", "usage_limit", "per_customer_limit", "is_active")
    list_filter = ("kind", "is_active")
    search_fields = ("code",)
    readonly_fields = ("used_count", "created_at")
    inlines = [VoucherUseInline]
