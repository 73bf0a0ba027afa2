"""Address validation, shared by the checkout pages, the account address book and the API."""

from __future__ import annotations

from django import forms

from .countries import (
    COUNTRY_CHOICES,
    NO_POSTAL_CODE,
    REGION_LABELS,
    REGIONS,
    normalize_postal_code,
    postal_code_error,
    postal_code_label,
    region_code,
)
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

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The country the form is shown for: the posted one, else the initial one. Its
        # states or provinces become a list (US, Canada, Australia), its postal code field
        # is named and required as there; without JavaScript, "Update" re-shows the form
        # for another country (``country_changed``).
        country = (self.data.get(self.add_prefix("country")) if self.is_bound else None) \
            or self.initial.get("country") or ""
        # A country that is not text (an API client's ``true`` or ``[1]``) is no country;
        # the country field then says so.
        self.country = country.upper() if isinstance(country, str) else ""
        regions = REGIONS.get(self.country)
        if regions is not None:
            label = REGION_LABELS[self.country]
            # A text field under a list: a code or a name typed by an API client is taken.
            self.fields["region"] = forms.CharField(
                label=label, required=True, max_length=100,
                widget=forms.Select(
                    choices=[("", f"Choose a {label.split()[0].lower()}"),
                             *regions.items()],
                    attrs={"autocomplete": "address-level1"}),
                error_messages={"required": f"Choose a {label.lower()} from the list."})
        else:
            self.fields["region"].label = "Region (state, county or province)"
        postal = self.fields["postal_code"]
        postal.label = postal_code_label(self.country).removesuffix(" (optional)")
        # Required (no "(optional)" beside the label) where the country has postal codes.
        postal.required = bool(self.country) and self.country not in NO_POSTAL_CODE
        postal.error_messages["required"] = f"Enter a {postal.label.lower()}."

    def clean_region(self):
        region = self.cleaned_data.get("region", "")
        country = self.country
        if country in REGIONS:
            code = region_code(country, region)
            if code is None:
                raise forms.ValidationError(
                    f"Choose a {REGION_LABELS[country].lower()} of "
                    f"{dict(COUNTRY_CHOICES)[country]} from the list.")
            return code
        return region

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
