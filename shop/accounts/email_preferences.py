"""Email preferences in the account: opt in to, or out of, marketing email. Thin: the
marketing consent service records the change with the wording shown."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from marketing import consent


class EmailPreferencesForm(forms.Form):
    marketing_opt_in = forms.BooleanField(label=consent.ACCOUNT_WORDING, required=False)


@require_http_methods(["GET", "POST"])
@login_required
def email_preferences(request: HttpRequest) -> HttpResponse:
    """The box shows the account address's current status (ticked only after an opt-in);
    saving records a grant or a withdrawal, and nothing when nothing changed."""
    email = request.user.email
    if request.method == "POST":
        form = EmailPreferencesForm(request.POST)
        if form.is_valid() and email:
            granted = form.cleaned_data["marketing_opt_in"]
            if consent.set_consent(email=email, user=request.user, granted=granted,
                                   wording=consent.ACCOUNT_WORDING,
                                   source=consent.ConsentRecord.Source.ACCOUNT):
                messages.success(request, "Subscribed to news and offers." if granted
                                 else "Unsubscribed: we won't send you news or offers.")
            else:
                messages.info(request, "Your email preferences are unchanged.")
            return redirect("account:email_preferences")
        status = 400
    else:
        form = EmailPreferencesForm(initial={
            "marketing_opt_in": bool(email) and consent.may_email_marketing(email)})
        status = 200
    return render(request, "account/email_preferences.html",
                  {"form": form, "email": email}, status=status)
