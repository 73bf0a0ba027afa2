"""Signed public tracking links: anyone with the link sees that shipment's progress (no
prices, no address beyond the city), nothing else. They can't be forged or altered."""

from __future__ import annotations

from django.core import signing
from django.urls import reverse

SALT = "fulfillment.tracking-link"
MAX_AGE = 180 * 86400


def tracking_signature(shipment) -> str:
    return signing.dumps(shipment.number, salt=SALT, compress=False)


def shipment_number_from_signature(signature: str) -> str | None:
    try:
        return str(signing.loads(signature, salt=SALT, max_age=MAX_AGE))
    except (signing.BadSignature, ValueError, TypeError):
        return None


def tracking_path(shipment) -> str:
    return reverse("tracking", args=[tracking_signature(shipment)])
