"""Admin forms of the customers app: they parse; the services decide."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django import forms
from django.utils import timezone

from .models import Segment, VoucherCampaign
from .services.notes import NOTE_MAX


def _in_a_month():
    return (timezone.now() + timedelta(days=30)).replace(microsecond=0, second=0)


class VoucherCampaignForm(forms.Form):
    segment = forms.ChoiceField(choices=Segment.choices)
    kind = forms.ChoiceField(choices=VoucherCampaign.Kind.choices, label="Discount")
    value = forms.DecimalField(max_digits=10, decimal_places=2, min_value=Decimal("0.01"),
                               help_text="Percent, or the amount off in the shop's currency.")
    min_subtotal = forms.DecimalField(max_digits=10, decimal_places=2, required=False,
                                      min_value=Decimal("0"), label="Minimum spend")
    ends_at = forms.DateTimeField(label="Expires at (UTC)", initial=_in_a_month,
                                  help_text="YYYY-MM-DD HH:MM")
    subject = forms.CharField(max_length=150, initial="A thank-you voucher for you")

    def clean(self):
        data = super().clean()
        if (data.get("kind") == VoucherCampaign.Kind.PERCENTAGE
                and data.get("value") is not None and data["value"] > 100):
            self.add_error("value", "A percentage can be at most 100.")
        ends_at = data.get("ends_at")
        if ends_at is not None and ends_at <= timezone.now():
            self.add_error("ends_at", "The expiry must be in the future.")
        return data


class CustomerNoteForm(forms.Form):
    text = forms.CharField(label="Add a note", max_length=NOTE_MAX,
                           widget=forms.Textarea(attrs={"rows": 3, "cols": 60}))


class TimelineLookupForm(forms.Form):
    """Whose timeline: an email (a guest or an account's), an account id or an order id."""

    email = forms.EmailField(required=False, max_length=254)
    user = forms.IntegerField(required=False, min_value=1, max_value=2**31 - 1)
    order = forms.IntegerField(required=False, min_value=1, max_value=2**63 - 1)

    def clean(self):
        data = super().clean()
        if not self.errors and not any(data.get(name) for name in ("email", "user", "order")):
            raise forms.ValidationError("Give an email, an account or an order.")
        return data
