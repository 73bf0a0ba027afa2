"""Checkout configuration in admin: shipping zones and methods, tax rates, vouchers.

These are configuration with no workflow behind them, so the admin saves them directly (the
accepted exception to "services own every write"). Two things stay out of reach: a
voucher's use count (only placing an order moves it) and its uses. The forms here catch the
combinations the database would refuse (a pickup method without a warehouse, a percentage
above 100) and say so next to the field, instead of a constraint error.

The order admin lives in ``payments.admin``: its actions (cancel, capture) settle payments,
and orders may not import payments.
"""

from __future__ import annotations

import re

from django import forms
from django.contrib import admin, messages
from django.db import models
from django.db.models import Count
from django.urls import reverse
from django.utils.html import format_html

from kernel.admin import DomainErrorsAdminMixin
from kernel.money import Money

from . import services
from .countries import COUNTRIES, country_name
from .models import (
    ShippingMethod,
    ShippingWeightTier,
    ShippingZone,
    TaxRate,
    Voucher,
    VoucherUse,
)

CURRENCY_CODE = re.compile(r"[A-Z]{3}")


def clean_currency_code(value: str) -> str:
    code = (value or "").strip().upper()
    if not CURRENCY_CODE.fullmatch(code):
        raise forms.ValidationError("Enter a three-letter currency code, such as USD or EUR.")
    return code


def clean_country_code(value: str) -> str:
    code = (value or "").strip().upper()
    if code not in COUNTRIES:
        raise forms.ValidationError(
            f"{value!r} is not a country code the shop knows; use two letters, such as US or DE."
        )
    return code


# --- Shipping -------------------------------------------------------------------------------


class ShippingZoneForm(forms.ModelForm):
    class Meta:
        model = ShippingZone
        fields = ("name", "countries", "rest_of_world")

    def clean_countries(self) -> str:
        codes: list[str] = []
        for raw in self.cleaned_data["countries"].split(","):
            code = raw.strip().upper()
            if code and code not in codes:
                codes.append(code)
        unknown = [code for code in codes if code not in COUNTRIES]
        if unknown:
            raise forms.ValidationError(f"Unknown country codes: {', '.join(unknown)}.")
        return ", ".join(codes)

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("countries") and not cleaned.get("rest_of_world") \
                and "countries" not in self.errors:
            self.add_error("countries", "List the countries this zone covers, or tick "
                                        "“rest of world”.")
        return cleaned


class ShippingMethodForm(forms.ModelForm):
    """The rules of a shipping method that the database also enforces (or that would make
    a method silently never offered), checked here so the message sits next to the field."""

    class Meta:
        model = ShippingMethod
        fields = ("zone", "name", "kind", "price", "currency", "free_above", "min_subtotal",
                  "min_delivery_days", "max_delivery_days", "pickup_warehouse", "is_active",
                  "position")

    def clean_currency(self) -> str:
        return clean_currency_code(self.cleaned_data.get("currency"))

    def clean(self):
        cleaned = super().clean()
        kind = cleaned.get("kind")
        warehouse = cleaned.get("pickup_warehouse")
        if kind == ShippingMethod.Kind.PICKUP and warehouse is None \
                and "pickup_warehouse" not in self.errors:
            self.add_error("pickup_warehouse",
                           "Store pickup needs the warehouse shoppers collect their order from.")
        if kind and kind != ShippingMethod.Kind.PICKUP and warehouse is not None:
            self.add_error("pickup_warehouse",
                           "Only store pickup methods have a pickup warehouse: clear this "
                           "field, or set the kind to store pickup.")
        earliest, latest = cleaned.get("min_delivery_days"), cleaned.get("max_delivery_days")
        if earliest is not None and latest is not None and latest < earliest:
            self.add_error("max_delivery_days",
                           "The latest delivery day cannot come before the earliest.")
        return cleaned


def shipping_method_warnings(method: ShippingMethod, *, tier_count: int) -> list[str]:
    """What makes a saved method offered to nobody, in words (saving is still allowed)."""
    warnings = []
    if method.kind == ShippingMethod.Kind.WEIGHT and tier_count == 0:
        warnings.append(f"“{method.name}” is priced by weight but has no weight tiers, so no "
                        "cart is offered it. Add at least one tier.")
    warehouse = method.pickup_warehouse if method.pickup_warehouse_id else None
    if method.is_pickup and warehouse is not None:
        if not warehouse.allows_store_pickup:
            warnings.append(f"{warehouse} does not allow store pickup, so “{method.name}” is "
                            "not offered.")
        elif not warehouse.is_active:
            warnings.append(f"{warehouse} is inactive, so “{method.name}” is not offered.")
    return warnings


class ShippingMethodInline(admin.TabularInline):
    """The zone's methods in one table; currency, minimum subtotal and weight tiers are on
    each method's own page (a new row takes the shop's currency)."""

    model = ShippingMethod
    form = ShippingMethodForm
    fields = ("name", "kind", "price", "free_above", "min_delivery_days", "max_delivery_days",
              "pickup_warehouse", "is_active", "position")
    formfield_overrides = {
        models.DecimalField: {"widget": forms.NumberInput(attrs={"class": "vMoneyField",
                                                                 "step": "0.01"})},
    }
    extra = 0
    show_change_link = True
    verbose_name_plural = "shipping methods (weight tiers are edited on each method's page)"


@admin.register(ShippingZone)
class ShippingZoneAdmin(admin.ModelAdmin):
    form = ShippingZoneForm
    list_display = ("name", "countries", "rest_of_world", "method_count")
    list_filter = ("rest_of_world",)
    search_fields = ("name", "countries")
    inlines = [ShippingMethodInline]

    class Media:
        css = {"all": ["css/admin-orders.css"]}

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(method_total=Count("methods"))

    @admin.display(description="Methods", ordering="method_total")
    def method_count(self, zone: ShippingZone) -> int:
        return zone.method_total

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        methods = (form.instance.methods.select_related("pickup_warehouse")
                   .annotate(tier_total=Count("tiers")).order_by("position", "pk"))
        for method in methods:
            for warning in shipping_method_warnings(method, tier_count=method.tier_total):
                self.message_user(request, warning, messages.WARNING)


class WeightTierInline(admin.TabularInline):
    model = ShippingWeightTier
    fields = ("up_to_grams", "price")
    extra = 1
    verbose_name = "weight tier"
    verbose_name_plural = "weight tiers (by-weight methods only: a parcel up to the weight " \
                          "costs the price; heavier carts than the last tier are not offered " \
                          "the method)"


@admin.register(ShippingMethod)
class ShippingMethodAdmin(admin.ModelAdmin):
    form = ShippingMethodForm
    list_display = ("name", "zone", "kind", "price_money", "free_above_money",
                    "delivery_window", "pickup_warehouse", "is_active")
    list_filter = ("kind", "is_active", "zone")
    list_select_related = ("zone", "pickup_warehouse")
    search_fields = ("name", "zone__name")
    ordering = ("zone__name", "position", "pk")
    inlines = [WeightTierInline]
    fieldsets = (
        (None, {"fields": ("zone", "name", "kind", "is_active", "position")}),
        ("Price", {"fields": ("price", "currency", "free_above", "min_subtotal")}),
        ("Delivery", {"fields": ("min_delivery_days", "max_delivery_days", "pickup_warehouse")}),
    )

    @admin.display(description="Price", ordering="price")
    def price_money(self, method: ShippingMethod) -> str:
        if method.kind == ShippingMethod.Kind.WEIGHT:
            return "By weight"
        return str(Money(method.price, method.currency))

    @admin.display(description="Free above", ordering="free_above")
    def free_above_money(self, method: ShippingMethod) -> str:
        return "—" if method.free_above is None else str(Money(method.free_above,
                                                               method.currency))

    @admin.display(description="Delivery")
    def delivery_window(self, method: ShippingMethod) -> str:
        if method.min_delivery_days == method.max_delivery_days:
            return f"{method.min_delivery_days} business days"
        return f"{method.min_delivery_days}–{method.max_delivery_days} business days"

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        method = form.instance
        for warning in shipping_method_warnings(method, tier_count=method.tiers.count()):
            self.message_user(request, warning, messages.WARNING)


# --- Tax ------------------------------------------------------------------------------------


class TaxRateForm(forms.ModelForm):
    class Meta:
        model = TaxRate
        fields = ("country", "region", "name", "rate")
        help_texts = {
            "country": "Two-letter ISO code, such as US or DE.",
            "region": "Leave empty for the whole country; a region's rate wins over it "
                      "(matched to the shipping address's state or province, any case).",
        }

    def clean_country(self) -> str:
        return clean_country_code(self.cleaned_data.get("country"))

    def clean_region(self) -> str:
        return (self.cleaned_data.get("region") or "").strip()

    def clean(self):
        cleaned = super().clean()
        country, region = cleaned.get("country"), cleaned.get("region")
        if country is not None and region is not None:
            # Checkout matches regions case-insensitively, so "OR" and "or" would clash.
            clash = TaxRate.objects.filter(country=country, region__iexact=region)
            if self.instance.pk:
                clash = clash.exclude(pk=self.instance.pk)
            if clash.exists():
                where = f"{region} ({country})" if region else country_name(country)
                self.add_error("region", f"{where} already has a tax rate; change that one.")
        return cleaned


@admin.register(TaxRate)
class TaxRateAdmin(admin.ModelAdmin):
    form = TaxRateForm
    list_display = ("country", "country_label", "region", "name", "rate_percent")
    list_filter = ("country",)
    search_fields = ("country", "region", "name")
    ordering = ("country", "region")

    @admin.display(description="Country name")
    def country_label(self, rate: TaxRate) -> str:
        return country_name(rate.country)

    @admin.display(description="Rate", ordering="rate")
    def rate_percent(self, rate: TaxRate) -> str:
        return f"{rate.rate.normalize():f}%"


# --- Vouchers -------------------------------------------------------------------------------


class VoucherForm(forms.ModelForm):
    class Meta:
        model = Voucher
        fields = ("code", "kind", "value", "currency", "min_subtotal", "starts_at", "ends_at",
                  "usage_limit", "per_customer_limit", "is_active")

    def clean_code(self) -> str:
        code = (self.cleaned_data.get("code") or "").strip().upper()
        if not code:
            raise forms.ValidationError("Enter a code.")
        # Codes are stored upper case, so "summer" would clash with "SUMMER" in the database
        # (any case: a row written around the model's save may not be upper case).
        clash = Voucher.objects.filter(code__iexact=code)
        if self.instance.pk:
            clash = clash.exclude(pk=self.instance.pk)
        if clash.exists():
            raise forms.ValidationError(f"A voucher with the code {code} already exists.")
        return code

    def clean_currency(self) -> str:
        return clean_currency_code(self.cleaned_data.get("currency"))

    def clean(self):
        cleaned = super().clean()
        kind, value = cleaned.get("kind"), cleaned.get("value")
        if kind == Voucher.Kind.PERCENTAGE and value is not None \
                and not 0 < value <= 100:
            self.add_error("value", "A percentage voucher takes off between 0 and 100 percent.")
        if kind == Voucher.Kind.FIXED and value is not None and value <= 0:
            self.add_error("value", "A fixed-amount voucher needs an amount above zero.")
        starts, ends = cleaned.get("starts_at"), cleaned.get("ends_at")
        if starts and ends and ends <= starts:
            self.add_error("ends_at", "The voucher must end after it starts.")
        limit = cleaned.get("usage_limit")
        # An early word next to the field; update_voucher checks again under the row lock.
        used = 0
        if self.instance.pk:
            used = Voucher.objects.values_list("used_count", flat=True).get(pk=self.instance.pk)
        if limit is not None and limit < used:
            self.add_error("usage_limit", f"This voucher has already been used {used} times; "
                                          "the limit cannot be lower.")
        return cleaned


class VoucherUseInline(admin.TabularInline):
    """Who used the voucher, on which order. Written only by placing an order."""

    model = VoucherUse
    fields = ("order_link", "email", "created_at")
    readonly_fields = fields
    extra = 0
    can_delete = False
    ordering = ("-created_at", "-pk")
    verbose_name_plural = "uses"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("order")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description="Order")
    def order_link(self, use: VoucherUse):
        return format_html('<a href="{}">{}</a>',
                           reverse("admin:orders_order_change", args=[use.order_id]),
                           use.order.number)


@admin.register(Voucher)
class VoucherAdmin(DomainErrorsAdminMixin, admin.ModelAdmin):
    form = VoucherForm
    list_display = ("code", "kind", "discount", "min_subtotal_money", "starts_at", "ends_at",
                    "used_count", "usage_limit", "per_customer_limit", "is_active")
    list_filter = ("kind", "is_active")
    search_fields = ("code",)
    search_help_text = "Voucher code."
    readonly_fields = ("used_count", "created_at")
    inlines = [VoucherUseInline]
    fieldsets = (
        (None, {"fields": ("code", "kind", "value", "currency", "is_active")}),
        ("Conditions", {"fields": ("min_subtotal", "starts_at", "ends_at")}),
        ("Limits", {"fields": ("usage_limit", "per_customer_limit", "used_count")}),
        ("History", {"fields": ("created_at",), "classes": ("collapse",)}),
    )

    def save_model(self, request, obj, form, change):
        if not change:
            return super().save_model(request, obj, form, change)
        services.update_voucher(voucher=obj, fields=form.fields)

    @admin.display(description="Discount", ordering="value")
    def discount(self, voucher: Voucher) -> str:
        return voucher.describe()

    @admin.display(description="Min. subtotal", ordering="min_subtotal")
    def min_subtotal_money(self, voucher: Voucher) -> str:
        if voucher.min_subtotal is None:
            return "—"
        return str(Money(voucher.min_subtotal, voucher.currency))
