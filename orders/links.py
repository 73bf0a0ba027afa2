"""Signed links that let a guest reach their order without an account.

The link carries the order's token signed with the secret key and a timestamp: it can't be
forged or altered, and it expires after SHOP_ORDER_LINK_MAX_AGE_DAYS.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core import signing
from django.urls import reverse

SALT = "orders.guest-order-link"


def guest_order_signature(order) -> str:
    return signing.dumps(str(order.token), salt=SALT, compress=False)


def order_token_from_signature(signature: str) -> uuid.UUID | None:
    """The order token a guest link names, or None when forged, altered or expired."""
    try:
        value = signing.loads(signature, salt=SALT,
                              max_age=settings.SHOP_ORDER_LINK_MAX_AGE_DAYS * 86400)
        return uuid.UUID(value)
    except (signing.BadSignature, ValueError, TypeError):
        return None


def guest_order_path(order) -> str:
    return reverse("account:guest_order", args=[guest_order_signature(order)])


def absolute_url(path: str) -> str:
    return settings.SHOP_BASE_URL.rstrip("/") + path
