"""The unsubscribe page: thin. GET shows a confirm button; POST unsubscribes; the RFC 8058
one-click POST from a mail client (body ``List-Unsubscribe=One-Click``) unsubscribes with
no CSRF token: the signed token in the URL is the protection, and it names one address."""

from __future__ import annotations

from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from . import consent
from .links import email_from_unsubscribe_token
from .models import ConsentRecord


@csrf_exempt
@require_http_methods(["GET", "HEAD", "POST"])
def unsubscribe(request, token: str):
    email = email_from_unsubscribe_token(token)
    if email is None:
        return render(request, "marketing/unsubscribe_invalid.html", status=400)
    if request.method == "POST":
        one_click = request.POST.get("List-Unsubscribe") == "One-Click"
        if not one_click and request.POST.get("confirm") != "yes":
            return render(request, "marketing/unsubscribe.html",
                          {"masked_email": _masked(email), "token": token,
                           "error": "Press the button to unsubscribe."}, status=400)
        if not consent.has_unsubscribed(email):
            consent.record_consent(
                email=email, user=request.user if request.user.is_authenticated else None,
                granted=False,
                wording=consent.ONE_CLICK_WORDING if one_click else consent.UNSUBSCRIBE_WORDING,
                source=(ConsentRecord.Source.ONE_CLICK if one_click
                        else ConsentRecord.Source.UNSUBSCRIBE_LINK))
        return render(request, "marketing/unsubscribed.html", {"masked_email": _masked(email)})
    return render(request, "marketing/unsubscribe.html",
                  {"masked_email": _masked(email), "token": token,
                   "already": consent.has_unsubscribed(email)})


def _masked(email: str) -> str:
    """j•••@example.com: enough for the person to recognise, not to harvest from a link."""
    local, _, domain = email.partition("@")
    return f"{local[:1]}•••@{domain}"
