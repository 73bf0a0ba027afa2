"""Self-service returns: the shopper picks delivered items, quantities and reasons, refund or
exchange, from their order page (their account, or the guest's signed link), and downloads
the prepaid return label once the return is approved."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from kernel.documents import pdf_download
from kernel.errors import ShopError
from kernel.forms import posted
from orders.links import order_token_from_signature
from orders.models import Order
from returns import services
from returns.exceptions import ReturnInvalid
from returns.models import ReturnLine, ReturnRequest
from returns.selectors import ReturnableLine, returnable_lines
from shop.web.rate_limits import rate_limited

REASON_CHOICES = [("", "Choose a reason")] + list(ReturnLine.SHOPPER_REASONS)


class ReturnForm(forms.Form):
    """One set of fields per returnable line (``qty-<id>``, ``reason-<id>``, ``note-<id>``,
    ``exchange-<id>``), then refund or exchange and a note."""

    resolution = forms.ChoiceField(label="What would you like?", widget=forms.RadioSelect,
                                   choices=ReturnRequest.Resolution.choices,
                                   initial=ReturnRequest.Resolution.REFUND)
    customer_note = forms.CharField(label="Anything else we should know?", required=False,
                                    max_length=500, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, data, *, rows: list[ReturnableLine]):
        super().__init__(data)
        self.rows = [row for row in rows if row.returnable]
        self.blocked = [row for row in rows if not row.returnable]
        for row in self.rows:
            line = row.line
            self.fields[f"qty-{line.pk}"] = forms.TypedChoiceField(
                label=f"How many {line.description}?", coerce=int, initial=0,
                required=False, empty_value=0,
                choices=[(n, str(n)) for n in range(row.returnable + 1)],
                error_messages={"invalid_choice": f"You can return between 0 and "
                                                  f"{row.returnable} of this item."})
            self.fields[f"reason-{line.pk}"] = forms.ChoiceField(
                label="Reason", choices=REASON_CHOICES, required=False)
            self.fields[f"note-{line.pk}"] = forms.CharField(
                label="Tell us more", required=False, max_length=300)
            if row.exchange_options:
                self.fields[f"exchange-{line.pk}"] = forms.TypedChoiceField(
                    label="Exchange for", required=False, coerce=int, empty_value=None,
                    choices=[("", "Choose another option")] + [
                        (v.pk, v.title or v.sku) for v in row.exchange_options])

    def line_fields(self):
        """(row, quantity, reason, note, exchange) bound fields, for the template."""
        for row in self.rows:
            pk = row.line.pk
            yield (row, self[f"qty-{pk}"], self[f"reason-{pk}"], self[f"note-{pk}"],
                   self[f"exchange-{pk}"] if f"exchange-{pk}" in self.fields else None)

    def clean(self):
        cleaned = super().clean()
        chosen = 0
        for row in self.rows:
            pk = row.line.pk
            quantity = cleaned.get(f"qty-{pk}") or 0
            if not quantity:
                continue
            chosen += 1
            if not cleaned.get(f"reason-{pk}"):
                self.add_error(f"reason-{pk}", "Choose a reason for this item.")
            elif cleaned[f"reason-{pk}"] == ReturnLine.Reason.OTHER and \
                    not cleaned.get(f"note-{pk}", "").strip():
                self.add_error(f"note-{pk}", "Tell us the reason.")
            if cleaned.get("resolution") == ReturnRequest.Resolution.EXCHANGE:
                if f"exchange-{pk}" not in self.fields:
                    self.add_error(f"qty-{pk}", "This item has no other size or colour to "
                                                "exchange for; choose a refund.")
                elif not cleaned.get(f"exchange-{pk}"):
                    self.add_error(f"exchange-{pk}", "Choose what you would like instead.")
        if not chosen and not self.errors:
            raise forms.ValidationError("Choose at least one item and how many to return.")
        return cleaned

    def requested_lines(self) -> list[services.RequestedLine]:
        data = self.cleaned_data
        return [services.RequestedLine(
            order_line_id=row.line.pk, quantity=data.get(f"qty-{row.line.pk}") or 0,
            reason=data.get(f"reason-{row.line.pk}", ""),
            note=data.get(f"note-{row.line.pk}", ""),
            exchange_variant_id=data.get(f"exchange-{row.line.pk}"))
            for row in self.rows if data.get(f"qty-{row.line.pk}")]

    def add_service_errors(self, error: ReturnInvalid) -> None:
        for line_id, message in error.errors.items():
            field = f"qty-{line_id}"
            self.add_error(field if field in self.fields else None, message)
        if not error.errors:
            self.add_error(None, error.message)


def _return_page(request: HttpRequest, order: Order, *, order_url: str) -> HttpResponse:
    rows = returnable_lines(order)
    form = ReturnForm(posted(request), rows=rows)
    status = 200
    if order.status == Order.Status.CANCELED or not form.rows:
        messages.error(request, "Nothing on this order can be returned at the moment.")
        return redirect(order_url)
    if request.method == "POST":
        if form.is_valid():
            try:
                return_request = services.request_return(
                    order_id=order.pk, lines=form.requested_lines(),
                    resolution=form.cleaned_data["resolution"],
                    customer_note=form.cleaned_data["customer_note"],
                    actor=request.user)
            except ReturnInvalid as error:
                form.add_service_errors(error)
            except ShopError as error:
                form.add_error(None, error.message)
            else:
                messages.success(request, f"Return {return_request.number} requested. We'll "
                                          "email you when it's approved, with how to send it "
                                          "back.")
                return redirect(order_url)
        status = 400
    return render(request, "account/return_request.html", {
        "order": order, "form": form, "order_url": order_url,
        "guest": not request.user.is_authenticated or order.user_id != request.user.pk,
    }, status=status)


def _own_order(request: HttpRequest, number: str) -> Order:
    order = Order.objects.filter(user=request.user, number=number).first()
    if order is None:
        raise Http404("No such order in your account.")
    return order


def _guest_order(signature: str) -> Order:
    token = order_token_from_signature(signature)
    order = Order.objects.filter(token=token).first() if token else None
    if order is None:
        raise Http404("This link is not valid.")
    return order


@require_http_methods(["GET", "POST"])
@login_required
def request_return(request: HttpRequest, number: str) -> HttpResponse:
    order = _own_order(request, number)
    return _return_page(request, order, order_url=reverse("account:order", args=[number]))


@require_http_methods(["GET", "POST"])
@rate_limited("order_lookup", methods=("GET", "POST"))
def guest_request_return(request: HttpRequest, signature: str) -> HttpResponse:
    order = _guest_order(signature)
    return _return_page(request, order,
                        order_url=reverse("account:guest_order", args=[signature]))


def _label_response(order: Order, return_number: str) -> HttpResponse:
    return_request = ReturnRequest.objects.filter(order=order, number=return_number).first()
    if return_request is None or not return_request.label:
        raise Http404("This return has no label.")
    return pdf_download(return_request.label, filename=f"{return_request.number}-label.pdf")


@require_GET
@login_required
def return_label(request: HttpRequest, number: str, return_number: str) -> HttpResponse:
    return _label_response(_own_order(request, number), return_number)


@require_GET
@rate_limited("order_lookup", methods=("GET",))
def guest_return_label(request: HttpRequest, signature: str,
                       return_number: str) -> HttpResponse:
    return _label_response(_guest_order(signature), return_number)
