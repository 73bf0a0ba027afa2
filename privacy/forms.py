"""Forms for data requests: staff recording one, and the confirmations before an erasure."""

from __future__ import annotations

from django import forms

from .models import DataRequest


class StaffDataRequestForm(forms.Form):
    email = forms.EmailField(label="Email address", max_length=254,
                             help_text="The address the person wrote from, or names.")
    kind = forms.ChoiceField(label="Kind", choices=[
        (DataRequest.Kind.EXPORT, DataRequest.Kind.EXPORT.label),
        (DataRequest.Kind.ERASURE, DataRequest.Kind.ERASURE.label)])
    identity_verification = forms.CharField(
        label="How identity was verified", max_length=300,
        help_text="E.g. 'Replied from the address on order 1042 and named its items'.")


class ConfirmErasureForm(forms.Form):
    confirm = forms.BooleanField(
        label="I understand: the personal data is erased for good; orders and invoices are "
              "kept as the law requires.", required=True)
