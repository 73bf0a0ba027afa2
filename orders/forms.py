"""Address validation, shared by the checkout pages, the account address book and the API."""

from __future__ import annotations

from django import forms

from .countries import COUNTRY_CHOICES, normalize_postal_code, postal_code_error
from .models import Address


class AddressForm(forms.ModelForm):
    country = forms.ChoiceField(choices=[("", "Choose a country")] + COUNTRY_CHOICES)

    class Meta:
        model = Address
        fields = list(Address.FIELDS)
        widgets = {
            "first_name": forms.TextInput(attrs={"autocomplete": "given-name"}),
            "last_name": forms.TextInput(attrs={"autocomplete": "family-name"}),
            "company": forms.TextInput(attrs={"autocomplete": "organization"}),
            "line1": forms.TextInput(attrs={"autocomplete": "address-line1"}),
            "line2": forms.TextInput(attrs={"autocomplete": "address-line2"}),
            "city": forms.TextInput(attrs={"autocomplete": "address-level2"}),
            "region": forms.TextInput(attrs={"autocomplete": "address-level1"}),
            "postal_code": forms.TextInput(attrs={"autocomplete": "postal-code"}),
            "phone": forms.TextInput(attrs={"autocomplete": "tel", "type": "tel"}),
        }

    def clean(self):
        data = super().clean()
        for name, value in list(data.items()):
            if isinstance(value, str):
                if "\x00" in value:
                    self.add_error(name, "Remove the invalid characters.")
                    continue
                data[name] = " ".join(value.split())
        country = data.get("country")
        if country:
            data["postal_code"] = normalize_postal_code(country, data.get("postal_code", ""))
            problem = postal_code_error(country, data["postal_code"])
            if problem:
                self.add_error("postal_code", problem)
        phone = data.get("phone", "")
        if phone and not all(ch.isdigit() or ch in " +-()." for ch in phone):
            self.add_error("phone", "Enter a phone number using digits, spaces, + - ( ).")
        return data


def clean_address(data) -> dict[str, str]:
    """Validated address fields, or AddressInvalid naming each bad field."""
    from .exceptions import AddressInvalid

    if not hasattr(data, "get"):
        raise AddressInvalid({"address": ["Send the address as an object of fields."]})
    form = AddressForm(data={name: data.get(name, "") for name in Address.FIELDS})
    if not form.is_valid():
        raise AddressInvalid({field: [str(m) for m in messages]
                              for field, messages in form.errors.items()})
    return {name: form.cleaned_data.get(name, "") or "" for name in Address.FIELDS}
