"""Data requests by the people the data is about: "Your data" in the account (download it,
close the account) and, for guests, the page that emails a signed link and the pages that
link opens (download, erase). Thin: each view parses input and calls one
``privacy.services`` function; refusals come back as 4xx pages with the service's message."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import logout as auth_logout
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.cache import patch_cache_control
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kernel.errors import ShopError
from kernel.forms import posted
from privacy import services
from privacy.exceptions import DataLinkExpired, DataLinkInvalid
from privacy.links import MAX_AGE, DataLink, read_data_link
from shop.web.rate_limits import posted_email, rate_limited

from .forms import CloseAccountForm, ConfirmGuestErasureForm, GuestDataRequestForm

LINK_HOURS = MAX_AGE // 3600


def _download(export: services.Export) -> HttpResponse:
    response = HttpResponse(export.content, content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = content_disposition_header(True, export.filename)
    patch_cache_control(response, private=True, no_store=True, max_age=0)
    return response


# --- The account ------------------------------------------------------------------------------

@require_GET
@login_required
def your_data(request: HttpRequest) -> HttpResponse:
    return render(request, "account/your_data.html")


@require_POST
@login_required
@rate_limited("data_export")
def download_data(request: HttpRequest) -> HttpResponse:
    return _download(services.export_account_data(user=request.user))


@require_http_methods(["GET", "POST"])
@login_required
@rate_limited("data_erasure")
def close_account(request: HttpRequest) -> HttpResponse:
    form = CloseAccountForm(request.user, posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            services.close_account(user=request.user)
        except ShopError as error:  # an open order (ErasureRefused), or closed already
            return render(request, "account/close_account.html",
                          {"form": CloseAccountForm(request.user), "refusal": error.message},
                          status=error.status_code)
        auth_logout(request)
        return redirect("account:account_closed")
    return render(request, "account/close_account.html", {"form": form},
                  status=400 if form.errors else 200)


@require_GET
def account_closed(request: HttpRequest) -> HttpResponse:
    return render(request, "account/account_closed.html")


# --- Guests -----------------------------------------------------------------------------------

@require_http_methods(["GET", "POST"])
@rate_limited("data_request", account=posted_email)
def request_data(request: HttpRequest) -> HttpResponse:
    """The same answer whether or not the address is known (see
    ``services.request_guest_link``)."""
    form = GuestDataRequestForm(posted(request))
    if request.method == "POST":
        if form.is_valid():
            services.request_guest_link(email=form.cleaned_data["email"],
                                        order_number=form.cleaned_data["order_number"])
            return redirect("account:data_request_sent")
        return render(request, "account/data_request.html", {"form": form}, status=400)
    return render(request, "account/data_request.html", {"form": form})


@require_GET
def data_request_sent(request: HttpRequest) -> HttpResponse:
    return render(request, "account/data_request_sent.html", {"hours": LINK_HOURS})


def _link_or_refusal(request: HttpRequest, signature: str) -> DataLink | HttpResponse:
    try:
        link = read_data_link(signature)
        services.ensure_link_unused(link)
        return link
    except (DataLinkInvalid, DataLinkExpired) as error:
        return render(request, "account/data_link_invalid.html", {"message": error.message},
                      status=error.status_code)


@require_GET
@rate_limited("order_lookup", methods=("GET",))
def data_link(request: HttpRequest, signature: str) -> HttpResponse:
    link = _link_or_refusal(request, signature)
    if isinstance(link, HttpResponse):
        return link
    return render(request, "account/data_link.html", {"link": link, "signature": signature,
                                                      "guest": True})


@require_POST
@rate_limited("data_export")
def data_link_download(request: HttpRequest, signature: str) -> HttpResponse:
    link = _link_or_refusal(request, signature)
    if isinstance(link, HttpResponse):
        return link
    try:
        return _download(services.export_guest_data(link=link))
    except ShopError as error:  # erased meanwhile (DataLinkExpired), or no one's address
        return render(request, "account/data_link_invalid.html", {"message": error.message},
                      status=error.status_code)


@require_http_methods(["GET", "POST"])
@rate_limited("data_erasure")
def data_link_erase(request: HttpRequest, signature: str) -> HttpResponse:
    link = _link_or_refusal(request, signature)
    if isinstance(link, HttpResponse):
        return link
    form = ConfirmGuestErasureForm(posted(request))
    context = {"link": link, "signature": signature, "guest": True}
    if request.method == "POST" and form.is_valid():
        try:
            services.erase_guest_data(link=link)
        except DataLinkExpired as error:
            return render(request, "account/data_link_invalid.html",
                          {"message": error.message}, status=error.status_code)
        except ShopError as error:  # an open order (ErasureRefused), or an account's address
            return render(request, "account/data_link_erase.html",
                          {**context, "form": ConfirmGuestErasureForm(),
                           "refusal": error.message}, status=error.status_code)
        messages.success(request, "Your personal data is erased. Orders and invoices are "
                                  "kept without it, as the law requires.")
        return redirect("account:data_request_done")
    return render(request, "account/data_link_erase.html", {**context, "form": form},
                  status=400 if form.errors else 200)


@require_GET
def data_request_done(request: HttpRequest) -> HttpResponse:
    return render(request, "account/data_request_done.html")
