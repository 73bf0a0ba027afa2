"""Carrier webhooks: tracking events pushed by EasyPost, verified by their HMAC signature,
stored once per event and applied forward-only (``fulfillment.services.record_tracking``).

A bad signature is a 400. So is a signed event of the wrong shape (not JSON, a field of the
wrong type, a text longer than its column, such as a 5,000-character tracker id), with a
message naming the field, and nothing is recorded: the endpoint also takes 3PLs' updates
(README, "Outbound webhooks"), whose developers need to see why an update was refused;
EasyPost itself sends only well-formed trackers, and gives up after a few retries."""

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
    from .carriers.easypost import MalformedTracker, tracker_event, verify_webhook

    if len(request.body) > 512 * 1024:
        return JsonResponse({"detail": "Payload too large."}, status=413)
    try:
        event = verify_webhook(request.body, request.headers)
        tracker = tracker_event(event)
    except MalformedTracker as error:
        logger.warning("Refused a signed carrier webhook: %s", error)
        return JsonResponse({"detail": f"Malformed tracker event: {error}"}, status=400)
    except ValueError as error:
        logger.warning("Refused a carrier webhook: %s", error)
        return JsonResponse({"detail": "Invalid signature or payload."}, status=400)
    if tracker is None:
        return JsonResponse({"received": True, "result": "ignored"})
    shipment = Shipment.objects.filter(tracking_number=tracker.tracking_code).first()
    if shipment is None:
        return JsonResponse({"received": True, "result": "no such shipment"})
    changed = sum(services.record_tracking(shipment_id=shipment.pk, update=update)
                  for update in tracker.updates)
    return JsonResponse({"received": True, "result": f"{changed} state change(s)"})
