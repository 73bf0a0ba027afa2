"""The public tracking page: a signed link shows one shipment's progress."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from fulfillment.links import shipment_number_from_signature
from fulfillment.models import Shipment
from shop.web.rate_limits import rate_limited


@require_GET
@rate_limited("order_lookup", methods=("GET",))
def tracking(request: HttpRequest, signature: str) -> HttpResponse:
    number = shipment_number_from_signature(signature)
    shipment = (Shipment.objects.select_related("order", "warehouse")
                .prefetch_related("tracking_events", "lines__order_line")
                .filter(number=number).first() if number else None)
    if shipment is None:
        return render(request, "account/guest_link_invalid.html", status=404)
    return render(request, "storefront/tracking.html", {"shipment": shipment})
