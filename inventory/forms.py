"""Forms for the stock pages of the admin. They parse input; the rules live in
``inventory.services`` and reach the person as form errors."""

from __future__ import annotations

from django import forms
from django.db.models import Q

from catalog.models import Variant
from kernel.bounds import INTEGER_MAX

from .models import Warehouse


class ReceiveStockForm(forms.Form):
    """Units that arrived for one stock level."""

    quantity = forms.IntegerField(
        min_value=1, max_value=INTEGER_MAX,
        error_messages={"min_value": "Quantity received must be a whole number above zero."},
        help_text="Units that arrived (a whole number above zero).")
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

    counted = forms.IntegerField(min_value=0, max_value=INTEGER_MAX,
                                 help_text="Units physically there now.")
    reason = forms.CharField(max_length=255, required=False,
                             help_text="Why the count changed: cycle count, damaged, found.")
    reference = forms.CharField(max_length=100, required=False)


class QualityHoldForm(forms.Form):
    """Units put on quality hold, released from it, or written off from it."""

    ACTIONS = [("hold", "Put free units on quality hold (damaged, inspection, recall)"),
               ("release", "Release held units as sellable"),
               ("write_off", "Write off held units (they leave on hand)")]
    action = forms.ChoiceField(choices=ACTIONS, widget=forms.RadioSelect, initial="hold")
    quantity = forms.IntegerField(min_value=1, max_value=1_000_000)
    reason = forms.CharField(max_length=255, help_text="Why: damaged in the warehouse, "
                                                       "supplier recall, passed inspection.")


class SafetyStockForm(forms.Form):
    safety_stock = forms.IntegerField(
        label="Safety stock", min_value=0, max_value=1_000_000,
        help_text="Units the storefront never sells from this warehouse (0 for none).")


# --- Inventory operations -------------------------------------------------------------------


def parse_sku_lines(text: str, *, with_cost: bool = False) -> list[tuple]:
    """Lines of "SKU quantity" (and optionally a unit cost) typed one a line, as
    (variant, quantity, cost or None). Raises ValidationError naming the bad line."""
    from decimal import Decimal, InvalidOperation

    parsed, problems = [], []
    rows = [row.strip() for row in (text or "").splitlines() if row.strip()]
    # SKUs as typed, matched without regard to case, in one query.
    typed = Q()
    for row in rows:
        typed |= Q(sku__iexact=row.replace(",", " ").split()[0])
    variants = {variant.sku.lower(): variant
                for variant in (Variant.objects.filter(typed) if rows else [])}
    for number, row in enumerate(rows, start=1):
        parts = row.replace(",", " ").split()
        most = 3 if with_cost else 2
        if len(parts) < 2 or len(parts) > most:
            problems.append(f"Line {number}: write \"SKU quantity"
                            f"{' [unit cost]' if with_cost else ''}\".")
            continue
        variant = variants.get(parts[0].lower())
        if variant is None:
            problems.append(f"Line {number}: no variant has the SKU {parts[0]!r}.")
            continue
        try:
            quantity = int(parts[1])
        except ValueError:
            problems.append(f"Line {number}: {parts[1]!r} is not a whole number.")
            continue
        if not 0 < quantity <= INTEGER_MAX:
            problems.append(f"Line {number}: the quantity must be from 1 to {INTEGER_MAX}.")
            continue
        cost = None
        if len(parts) == 3:
            try:
                cost = Decimal(parts[2])
            except InvalidOperation:
                problems.append(f"Line {number}: {parts[2]!r} is not a price.")
                continue
        parsed.append((variant, quantity, cost))
    if problems:
        raise forms.ValidationError(problems)
    if not parsed:
        raise forms.ValidationError("Add at least one line.")
    return parsed


class PurchaseOrderForm(forms.Form):
    supplier = forms.ModelChoiceField(queryset=None)
    warehouse = forms.ModelChoiceField(queryset=Warehouse.objects.filter(is_active=True),
                                       label="Deliver to")
    expected_on = forms.DateField(required=False, label="Expected on",
                                  help_text="YYYY-MM-DD; empty: today plus the supplier's "
                                            "lead time when sent.")
    lines = forms.CharField(widget=forms.Textarea(attrs={"rows": 6}),
                            help_text="One a line: SKU quantity [unit cost]. Without a cost, "
                                      "the supplier's price.")
    note = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, **kwargs):
        from .models import Supplier

        super().__init__(*args, **kwargs)
        self.fields["supplier"].queryset = Supplier.objects.filter(is_active=True)

    def clean_lines(self):
        return parse_sku_lines(self.cleaned_data["lines"], with_cost=True)


class TransferForm(forms.Form):
    source = forms.ModelChoiceField(queryset=Warehouse.objects.filter(is_active=True),
                                    label="From")
    destination = forms.ModelChoiceField(queryset=Warehouse.objects.filter(is_active=True),
                                         label="To")
    lines = forms.CharField(widget=forms.Textarea(attrs={"rows": 6}),
                            help_text="One a line: SKU quantity.")
    note = forms.CharField(required=False, max_length=255)

    def clean_lines(self):
        return parse_sku_lines(self.cleaned_data["lines"])


class StartCountForm(forms.Form):
    warehouse = forms.ModelChoiceField(queryset=Warehouse.objects.filter(is_active=True))
    zone = forms.CharField(required=False, max_length=40,
                           help_text="Only bins starting with this (e.g. A-). Empty: all.")
    skus = forms.CharField(required=False, label="SKUs",
                           widget=forms.Textarea(attrs={"rows": 4}),
                           help_text="Only these SKUs, one a line. Empty: all.")


class ApproveCountForm(forms.Form):
    reason = forms.CharField(max_length=255, initial="Cycle count",
                             help_text="Written on every adjustment posted.")


class ReasonForm(forms.Form):
    reason = forms.CharField(max_length=255)


class ClearanceForm(forms.Form):
    percent_off = forms.DecimalField(label="Percent off", min_value=1, max_value=95,
                                     decimal_places=2, initial=30)
    ends_on = forms.DateField(label="Ends on", help_text="YYYY-MM-DD; the discount ends "
                                                         "at the start of that day (UTC).")


class SlowMoverFilterForm(forms.Form):
    days = forms.IntegerField(label="No sale in (days)", min_value=1, max_value=3650)
    cover = forms.IntegerField(label="Or days of cover above", min_value=1, max_value=36500)
