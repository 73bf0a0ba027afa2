"""The contact form at /contact/: a shopper writes to the shop.

Spam is kept out without a CAPTCHA service: a honeypot field people never see (bots fill
every field) and a signed timestamp issued with the form, refused when the form comes back
too fast for a person (``SHOP_CONTACT_MIN_SECONDS``), too old
(``SHOP_CONTACT_MAX_AGE_SECONDS``) or tampered with. Each refusal re-shows the form with a
message and a fresh timestamp, so a person can simply send again. Posts are rate limited
per address and per email (``SHOP_RATE_LIMITS["contact"]``).

The answer is the same whether or not the order number matches an order placed with the
email (``customers.services.submit_contact_message`` links only a match), so the form
never reveals whether an order exists.
"""

from __future__ import annotations

import time

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core import signing
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from customers.services import submit_contact_message
from kernel.forms import posted
from shop.web.rate_limits import posted_email, rate_limited

SALT = "shop.storefront.contact"
TOO_FAST = ("That was quicker than we expect from a person. Please check your message and "
            "send it again.")
EXPIRED = "This form was open too long or was changed. Please send your message again."
HONEYPOT = "Your message looks automated and was not sent. If you are a person, leave the "


def issue_token() -> str:
    return signing.dumps({"t": int(time.time())}, salt=SALT, compress=True)


def token_problem(token: str) -> str:
    """Empty when ``token`` is a genuine timestamp from this form, old enough for a person
    and not expired; else the message to show."""
    max_age = getattr(settings, "SHOP_CONTACT_MAX_AGE_SECONDS", 2 * 3600)
    minimum = getattr(settings, "SHOP_CONTACT_MIN_SECONDS", 3)
    try:
        issued = signing.loads(token or "", salt=SALT, max_age=max_age)["t"]
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        return EXPIRED
    if not isinstance(issued, int):
        return EXPIRED
    age = time.time() - issued
    if age > max_age:
        return EXPIRED
    if age < minimum:
        return TOO_FAST
    return ""


class ContactForm(forms.Form):
    name = forms.CharField(max_length=100, widget=forms.TextInput(
        attrs={"autocomplete": "name"}))
    email = forms.EmailField(max_length=254, widget=forms.EmailInput(
        attrs={"autocomplete": "email"}))
    order_number = forms.CharField(label="Order number", max_length=20, required=False,
                                   help_text="If your message is about an order.")
    subject = forms.CharField(max_length=150)
    message = forms.CharField(min_length=10, max_length=5000,
                              widget=forms.Textarea(attrs={"rows": 7}))
    # The honeypot: hidden from people (CSS, aria-hidden, no tab stop); bots fill it in.
    website = forms.CharField(label="Leave this field empty", required=False, max_length=200,
                              widget=forms.TextInput(attrs={"tabindex": "-1",
                                                            "autocomplete": "off"}))
    started = forms.CharField(widget=forms.HiddenInput, required=False, max_length=500)

    def clean(self):
        data = super().clean()
        if data.get("website"):
            raise forms.ValidationError(HONEYPOT + "first fields as they are and send again.")
        problem = token_problem(data.get("started", ""))
        if problem:
            raise forms.ValidationError(problem)
        return data


@require_http_methods(["GET", "POST"])
@rate_limited("contact", account=posted_email)
def contact(request: HttpRequest) -> HttpResponse:
    form = ContactForm(posted(request), initial={"started": issue_token()})
    if request.method == "POST":
        if not form.is_valid():
            return _render_refused(request, form)
        data = form.cleaned_data
        submit_contact_message(name=data["name"], email=data["email"],
                               order_number=data["order_number"], subject=data["subject"],
                               message=data["message"])
        messages.success(request, "Thank you: your message was sent. We answer by email, "
                                  "usually within one working day.")
        return redirect("storefront:contact")
    return render(request, "storefront/contact.html", {"form": form})


def _render_refused(request: HttpRequest, form: ContactForm) -> HttpResponse:
    """The form again with its errors, a fresh timestamp and an empty honeypot."""
    return render(request, "storefront/contact.html",
                  {"form": form, "fresh_token": issue_token()}, status=400)
