"""Signed links in marketing email: unsubscribe (no login, no expiry: an old newsletter's
link must still work) and cart restore (expires after CART_RECOVERY_LINK_MAX_AGE_DAYS)."""

from __future__ import annotations

from django.conf import settings
from django.core import signing
from django.urls import reverse

from orders.links import absolute_url

from .consent import normalise_email

UNSUBSCRIBE_SALT = "marketing.unsubscribe"
RESTORE_SALT = "marketing.cart-restore"


def unsubscribe_token(email: str) -> str:
    return signing.dumps(normalise_email(email), salt=UNSUBSCRIBE_SALT, compress=True)


def email_from_unsubscribe_token(token: str) -> str | None:
    """The address an unsubscribe token names, or None when forged or altered."""
    try:
        value = signing.loads(str(token), salt=UNSUBSCRIBE_SALT)
    except (signing.BadSignature, ValueError, TypeError, UnicodeError):
        return None
    return value if isinstance(value, str) and "@" in value else None


def unsubscribe_url(email: str) -> str:
    return absolute_url(reverse("marketing:unsubscribe", args=[unsubscribe_token(email)]))


def restore_token(cart_id: int, number: int) -> str:
    return signing.dumps([int(cart_id), int(number)], salt=RESTORE_SALT)


def reminder_from_restore_token(token: str) -> tuple[int, int] | None:
    """The (cart id, reminder number) a restore link names, or None when forged, altered
    or expired."""
    try:
        value = signing.loads(str(token), salt=RESTORE_SALT,
                              max_age=settings.CART_RECOVERY_LINK_MAX_AGE_DAYS * 86400)
    except (signing.BadSignature, ValueError, TypeError, UnicodeError):
        return None
    if (isinstance(value, list) and len(value) == 2
            and all(type(part) is int for part in value)):
        return value[0], value[1]
    return None


def restore_url(cart_id: int, number: int) -> str:
    return absolute_url(reverse("checkout:restore_cart", args=[restore_token(cart_id, number)]))
