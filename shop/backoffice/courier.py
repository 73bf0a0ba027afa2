"""The courier page: a phone-sized list of the parcels our couriers carry, where they
record out for delivery, delivered (to whom) or a failed attempt. Staff login with the
"record courier deliveries" permission."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods

from fulfillment import services
from fulfillment.models import Shipment
from fulfillment.roles import roles_with
from kernel.errors import ShopError

ON_THE_ROAD = [Shipment.State.SHIPPED, Shipment.State.IN_TRANSIT,
               Shipment.State.OUT_FOR_DELIVERY, Shipment.State.EXCEPTION]


@require_http_methods(["GET", "POST"])
@login_required(login_url="admin:login")
def courier(request: HttpRequest) -> HttpResponse:
    if not request.user.has_perm("fulfillment.deliver_shipment"):
        raise PermissionDenied(
            f"The courier page needs the {' or '.join(roles_with('fulfillment.deliver_shipment'))}"
            " role.")
    status = 200
    if request.method == "POST":
        shipment_id = (request.POST.get("shipment") or "").strip()
        if not (shipment_id.isascii() and shipment_id.isdigit()) or len(shipment_id) > 18:
            # A tampered or half-sent form; the list below is what the courier can pick.
            messages.error(request, "Choose a parcel from the list.")
            return _parcels_page(request, status=400)
        shipment = get_object_or_404(Shipment, pk=int(shipment_id),
                                     carrier=Shipment.Carrier.LOCAL)
        try:
            services.courier_update(shipment_id=shipment.pk, status=request.POST.get("status"),
                                    note=request.POST.get("note", ""),
                                    recipient=request.POST.get("recipient", ""),
                                    actor=request.user)
        except ShopError as error:
            messages.error(request, f"{shipment.number}: {error.message}")
            status = 400
        else:
            messages.success(request, f"{shipment.number} updated.")
            return redirect("courier")
    return _parcels_page(request, status=status)


def _parcels_page(request: HttpRequest, *, status: int) -> HttpResponse:
    parcels = (Shipment.objects.filter(carrier=Shipment.Carrier.LOCAL, state__in=ON_THE_ROAD)
               .select_related("order__shipping_address").order_by("shipped_at", "pk")[:200])
    return render(request, "courier/list.html", {"parcels": parcels}, status=status)
