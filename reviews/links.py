"""The signed link in a review invitation: it lets a guest review what an order brought
without an account. It names the order, can't be forged or altered, and expires."""

from __future__ import annotations

from django.core import signing
from django.urls import reverse

SALT = "reviews.invitation"
MAX_AGE_DAYS = 180


def invitation_signature(order) -> str:
    return signing.dumps({"order": order.pk}, salt=SALT, compress=False)


def order_id_from_signature(signature: str) -> int | None:
    """The order a link names, or None when forged, altered or expired."""
    try:
        value = signing.loads(signature, salt=SALT, max_age=MAX_AGE_DAYS * 86400)
        order_id = int(value["order"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        return None
    return order_id


def invitation_path(order) -> str:
    return reverse("reviews:invitation", args=[invitation_signature(order)])
