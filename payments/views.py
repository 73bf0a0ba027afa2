"""Stripe's webhook endpoint: verify the signature, then hand the event to the service."""

from __future__ import annotations

import logging

from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from .gateways import get_gateway
from .gateways.base import WebhookSignatureError
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
    except WebhookSignatureError as error:
        logger.warning("Refused a Stripe webhook: %s", error)
        return JsonResponse({"detail": "Invalid signature or payload."}, status=400)
    result = handle_stripe_event(event)
    return JsonResponse({"received": True, "result": result})
