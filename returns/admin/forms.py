"""The forms of the return steps in admin (approve, reject, receive by scan, inspect,
refund): they parse input; the services decide."""

from __future__ import annotations

from django import forms
from django.conf import settings

from inventory.models import Warehouse

from ..models import ReturnLine, ReturnRequest

Condition = ReturnLine.Condition


class ApproveForm(forms.Form):
    method = forms.ChoiceField(label="Return method", choices=ReturnRequest.Method.choices)
    warehouse = forms.TypedChoiceField(label="Return to warehouse", coerce=int,
                                       empty_value=None, required=False)
    message = forms.CharField(label="Message to the shopper", max_length=500, required=False,
                              widget=forms.Textarea(attrs={"rows": 3}),
                              help_text="Included in the approval email.")

    def __init__(self, *args, default_warehouse: Warehouse | None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["method"].initial = settings.SHOP_RETURN_METHOD
        default = (f"Default: {default_warehouse}" if default_warehouse
                   else "Default (no active warehouse)")
        self.fields["warehouse"].choices = [("", default)] + [
            (warehouse.pk, str(warehouse))
            for warehouse in Warehouse.objects.filter(is_active=True).order_by("priority",
                                                                               "code")]
        self.fields["warehouse"].help_text = (
            "Left at the default, the parcel goes back to the warehouse that delivered the "
            "order (or, if it is inactive, the first active warehouse by priority).")


class RejectForm(forms.Form):
    message = forms.CharField(label="Message to the shopper", max_length=500,
                              widget=forms.Textarea(attrs={"rows": 3}),
                              help_text="Why the return is rejected; the shopper is emailed it.",
                              error_messages={"required": "Tell the shopper why the return "
                                                          "is rejected."})


class ScanForm(forms.Form):
    code = forms.CharField(label="RMA number or return tracking number", max_length=40,
                           widget=forms.TextInput(attrs={"autofocus": True,
                                                         "autocomplete": "off",
                                                         "spellcheck": "false"}),
                           help_text="Scan the return label's barcode, or type the RMA "
                                     "number; Enter receives the parcel.")


class InspectLineForm(forms.Form):
    condition = forms.ChoiceField(choices=[("", "— choose —"), *Condition.choices],
                                  error_messages={"required": "Choose its condition."})
    restock = forms.BooleanField(label="Back on the shelf", required=False)
    warehouse = forms.TypedChoiceField(label="Warehouse", coerce=int, empty_value=None,
                                       required=False)

    def __init__(self, *args, line: ReturnLine, warehouses: list[tuple[int, str]], **kwargs):
        super().__init__(*args, prefix=f"line-{line.pk}", **kwargs)
        self.line = line
        self.fields["warehouse"].choices = [("", "The return's warehouse"), *warehouses]

    def clean(self):
        data = super().clean()
        if data.get("restock") and data.get("condition") not in (None, "", Condition.RESELLABLE):
            self.add_error("restock", "Only resellable items go back on the shelf.")
        return data


class RefundForm(forms.Form):
    amount = forms.CharField(max_length=20)
    note = forms.CharField(
        label="Reason for a goodwill refund", max_length=300, required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Needed only to refund more than the return covers: the difference is a "
                  "goodwill refund, and the reason goes on the order's timeline.")

    def __init__(self, *args, currency: str, may_give_goodwill: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["amount"].label = f"Refund ({currency})"
        if not may_give_goodwill:
            del self.fields["note"]
