"""Forms of the cart, checkout and pay pages. They only parse; services decide."""

from __future__ import annotations

import re

from django import forms

from marketing.consent import CHECKOUT_WORDING


class EmailStepForm(forms.Form):
    email = forms.EmailField(
        label="Email", max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
        help_text="We send your confirmation and tracking updates here.",
    )
    # Never ticked for the shopper; the label is the exact wording recorded with a grant.
    marketing_opt_in = forms.BooleanField(label=CHECKOUT_WORDING, required=False)


class BillingChoiceForm(forms.Form):
    same_as_shipping = forms.BooleanField(label="Billing address is the same as shipping",
                                          required=False)


class VoucherForm(forms.Form):
    code = forms.CharField(label="Voucher code", max_length=40,
                           widget=forms.TextInput(attrs={"autocomplete": "off"}))


class CardForm(forms.Form):
    """The offline test gateway's card form. The number leaves this form only as an
    argument to the gateway; it is never stored or logged."""

    name = forms.CharField(label="Name on card", max_length=100,
                           widget=forms.TextInput(attrs={"autocomplete": "cc-name"}))
    number = forms.CharField(
        label="Card number", max_length=23,
        widget=forms.TextInput(attrs={"autocomplete": "cc-number", "inputmode": "numeric",
                                      "placeholder": "1234 1234 1234 1234"}))
    expiry = forms.CharField(
        label="Expiry (MM/YY)", max_length=7,
        widget=forms.TextInput(attrs={"autocomplete": "cc-exp", "inputmode": "numeric",
                                      "placeholder": "MM/YY"}))
    cvc = forms.CharField(
        label="Security code (CVC)", max_length=4,
        widget=forms.TextInput(attrs={"autocomplete": "cc-csc", "inputmode": "numeric",
                                      "placeholder": "CVC"}))

    def clean_number(self) -> str:
        number = re.sub(r"[\s-]", "", self.cleaned_data["number"])
        if not number.isdigit() or not 12 <= len(number) <= 19:
            raise forms.ValidationError("Enter the card number: 12 to 19 digits.")
        return number

    def clean_expiry(self) -> tuple[int, int]:
        match = re.fullmatch(r"\s*(\d{1,2})\s*/\s*(\d{2}|\d{4})\s*", self.cleaned_data["expiry"])
        if not match:
            raise forms.ValidationError("Enter the expiry date as MM/YY.")
        month, year = int(match.group(1)), int(match.group(2))
        if not 1 <= month <= 12:
            raise forms.ValidationError("The month must be between 01 and 12.")
        return month, year + 2000 if year < 100 else year

    def clean_cvc(self) -> str:
        cvc = self.cleaned_data["cvc"].strip()
        if not cvc.isdigit() or len(cvc) not in (3, 4):
            raise forms.ValidationError("Enter the 3 or 4 digit security code.")
        return cvc

    def payment_data(self) -> dict:
        month, year = self.cleaned_data["expiry"]
        return {"number": self.cleaned_data["number"], "exp_month": month, "exp_year": year,
                "cvc": self.cleaned_data["cvc"], "name": self.cleaned_data["name"]}
