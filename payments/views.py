"""Stripe's webhook endpoint: verify the signature, then hand the event to the service.

A bad signature is a 400 (the request is not from Stripe). A correctly signed event the
shop can't read (not JSON, the wrong shape, a field too long or of the wrong type) is
acknowledged with a 200 and logged: Stripe sent exactly those bytes, a retry can never
succeed, and Stripe retries every non-2xx answer for days before disabling the endpoint."""

from __future__ import annotations

import logging

from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from .gateways import get_gateway
from .gateways.base import MalformedWebhookEvent, WebhookSignatureError
from .stripe_webhooks import handle_stripe_event

logger = logging.getLogger(__name__)

MAX_PAYLOAD_BYTES = 512 * 1024


@csrf_exempt  # Stripe can't send a CSRF token; the signature authenticates the request.
@require_POST
def stripe_webhook(request: HttpRequest) -> JsonResponse:
    payload = request.body
    if len(payload) > MAX_PAYLOAD_BYTES:
        return JsonResponse({"detail": "Payload too large."}, status=413)
    signature = request.headers.get("Stripe-Signature", "")
    try:
        event = get_gateway("stripe").construct_event(payload, signature)
    except MalformedWebhookEvent as error:
        return _acknowledge_malformed(error, payload)
    except WebhookSignatureError as error:
        logger.warning("Refused a Stripe webhook: %s", error)
        return JsonResponse({"detail": "Invalid signature or payload."}, status=400)
    try:
        result = handle_stripe_event(event)
    except MalformedWebhookEvent as error:
        return _acknowledge_malformed(error, payload)
    return JsonResponse({"received": True, "result": result})


def _acknowledge_malformed(error: MalformedWebhookEvent, payload: bytes) -> JsonResponse:
    logger.error("Acknowledged a signed Stripe event the shop can't read (%s): %.300r",
                 error, payload)
    return JsonResponse({"received": True, "result": f"malformed, not applied: {error}"})
