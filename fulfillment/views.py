"""Carrier webhooks: tracking events pushed by EasyPost, verified by their HMAC signature,
stored once per event and applied forward-only (``fulfillment.services.record_tracking``)."""

from __future__ import annotations

import logging

from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from . import services
from .models import Shipment

logger = logging.getLogger(__name__)


@csrf_exempt  # the carrier can't send a CSRF token; the HMAC signature authenticates it
@require_POST
def carrier_webhook(request: HttpRequest) -> JsonResponse:
    from .carriers.easypost import updates_from_tracker, verify_webhook

    if len(request.body) > 512 * 1024:
        return JsonResponse({"detail": "Payload too large."}, status=413)
    try:
        event = verify_webhook(request.body, request.headers)
    except ValueError as error:
        logger.warning("Refused a carrier webhook: %s", error)
        return JsonResponse({"detail": "Invalid signature or payload."}, status=400)
    tracker = event.get("result") if isinstance(event.get("result"), dict) else {}
    if not str(event.get("description", "")).startswith("tracker.") or not tracker:
        return JsonResponse({"received": True, "result": "ignored"})
    shipment = Shipment.objects.filter(
        tracking_number=str(tracker.get("tracking_code", ""))[:40]).first()
    if shipment is None:
        return JsonResponse({"received": True, "result": "no such shipment"})
    changed = sum(services.record_tracking(shipment_id=shipment.pk, update=update)
                  for update in updates_from_tracker(tracker))
    return JsonResponse({"received": True, "result": f"{changed} state change(s)"})
