"""Forms for the stock pages of the admin. They parse input; the rules live in
``inventory.services`` and reach the person as form errors."""

from __future__ import annotations

from django import forms

from catalog.models import Variant

from .models import Warehouse


class ReceiveStockForm(forms.Form):
    """Units that arrived for one stock level."""

    quantity = forms.IntegerField(help_text="Units that arrived (a whole number above zero).")
    reference = forms.CharField(
        max_length=100, required=False, help_text="Delivery note, purchase order or invoice."
    )
    reason = forms.CharField(max_length=255, required=False, initial="Stock received")


class ReceiveNewStockForm(ReceiveStockForm):
    """Units that arrived for any variant, in any warehouse (the level is created if new)."""

    sku = forms.CharField(label="SKU", max_length=64)
    warehouse = forms.ModelChoiceField(queryset=Warehouse.objects.all())

    field_order = ["sku", "warehouse", "quantity", "reference", "reason"]

    def clean_sku(self) -> Variant:
        sku = self.cleaned_data["sku"].strip()
        variant = Variant.objects.select_related("product").filter(sku=sku).first()
        if variant is None:
            raise forms.ValidationError(f"No variant has the SKU {sku!r}.")
        return variant


class AdjustCountForm(forms.Form):
    """What a person counted on the shelf; the difference goes into the ledger."""

    counted = forms.IntegerField(help_text="Units physically there now.")
    reason = forms.CharField(max_length=255, required=False,
                             help_text="Why the count changed: cycle count, damaged, found.")
    reference = forms.CharField(max_length=100, required=False)
