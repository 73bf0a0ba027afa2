"""A shopper answers a substitute offer for an order held up by a stock shortfall, by the
signed link in the offer email (no login: the link is the proof, and it expires)."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from kernel.errors import ShopError
from orders import services as order_services
from orders.links import guest_order_path
from orders.models import StockShortfall


@require_http_methods(["GET", "POST"])
def substitute_offer(request: HttpRequest, signature: str) -> HttpResponse:
    shortfall = order_services.shortfall_from_signature(signature)
    if shortfall is None:
        return render(request, "account/guest_link_invalid.html", status=404)
    order = shortfall.order
    order_url = guest_order_path(order)
    if request.method == "POST":
        answer = request.POST.get("answer")
        if answer not in {"accept", "decline"}:
            return render(request, "account/substitute_offer.html", {
                "shortfall": shortfall, "order": order, "order_url": order_url,
                "error": "Choose to accept or decline the substitute."}, status=400)
        try:
            shortfall = order_services.answer_substitute(shortfall_id=shortfall.pk,
                                                         accept=answer == "accept")
        except ShopError as error:
            return render(request, "account/substitute_offer.html", {
                "shortfall": shortfall, "order": order, "order_url": order_url,
                "error": error.message}, status=error.status_code)
        if shortfall.resolution == StockShortfall.Resolution.SUBSTITUTED:
            messages.success(request, "Thank you: the substitute is on its way to you.")
        elif answer == "accept":
            messages.error(request, "Sorry, the substitute sold out in the meantime. We'll be "
                                    "in touch with another option or a refund.")
        else:
            messages.success(request, "Understood. We'll be in touch with a backorder date or "
                                      "a refund.")
        return redirect(order_url)
    return render(request, "account/substitute_offer.html", {
        "shortfall": shortfall, "order": order, "order_url": order_url})
