"""Consent to marketing email: who may be mailed, and recording each grant and withdrawal.

The current status of an address is its latest ``ConsentRecord``; no record means no
consent (opt-in, never assumed). An address on the suppression list (an erased person) is
never mailed until a new explicit grant is recorded. Transactional email (orders,
shipping, returns) never asks: it is not marketing.
"""

from __future__ import annotations

import hashlib

from django.db import transaction
from django.db.models import Exists

from kernel.errors import ShopError

from .models import ConsentRecord, EmailSuppression

__all__ = ["ConsentRecord", "has_unsubscribed", "may_email_marketing", "record_consent"]

# The exact wording shown beside the checkboxes; recorded with every grant and withdrawal.
# (The checkout's box sits under the email field, so its wording needn't say "email" again,
# and a label search for "Email" still finds the one address field.)
CHECKOUT_WORDING = ("Send me news, offers and a reminder if I leave items in my cart. "
                    "I can unsubscribe at any time.")
ACCOUNT_WORDING = "Send me news, offers and reminders about my cart by email."
UNSUBSCRIBE_WORDING = "Unsubscribe from marketing email."
ONE_CLICK_WORDING = "One-click unsubscribe (List-Unsubscribe-Post) from the mail client."


class ConsentError(ShopError):
    pass


def normalise_email(email: str) -> str:
    return (email or "").strip().lower()


def email_hash(email: str) -> str:
    """SHA-256 of the normalised address: the suppression list keeps this, not the address."""
    return hashlib.sha256(normalise_email(email).encode()).hexdigest()


def latest_record(email: str) -> ConsentRecord | None:
    email = normalise_email(email)
    if not email:
        return None
    return ConsentRecord.objects.filter(email=email).order_by("-recorded_at", "-pk").first()


def is_suppressed(email: str) -> bool:
    email = normalise_email(email)
    return bool(email) and EmailSuppression.objects.filter(email_hash=email_hash(email)).exists()


def may_email_marketing(email: str) -> bool:
    """True only when the address's latest record is a grant and it is not suppressed
    (one query, whatever the answer)."""
    email = normalise_email(email)
    if not email:
        return False
    record = (ConsentRecord.objects.filter(email=email)
              .annotate(suppressed=Exists(EmailSuppression.objects.filter(
                  email_hash=email_hash(email))))
              .order_by("-recorded_at", "-pk").only("granted").first())
    return record is not None and record.granted and not record.suppressed


def has_unsubscribed(email: str) -> bool:
    """True when the address's latest record is a withdrawal."""
    record = latest_record(email)
    return record is not None and not record.granted


def record_consent(*, email: str, user=None, granted: bool, wording: str,
                   source: str) -> ConsentRecord:
    """Append one grant or withdrawal for ``email``. A grant lifts a suppression (it is a
    new, explicit opt-in); a withdrawal needs no prior grant (an unsubscribe always counts).

    Raises ``ConsentError`` for an empty address, empty wording or an unknown source.
    """
    email = normalise_email(email)
    if not email:
        raise ConsentError("An email address is needed to record consent.")
    if not wording:
        raise ConsentError("The wording shown to the person must be recorded.")
    if source not in ConsentRecord.Source.values:
        raise ConsentError(f"Unknown consent source {source!r}.")
    with transaction.atomic():
        record = ConsentRecord.objects.create(
            email=email, user=user if user is not None and user.is_authenticated else None,
            granted=bool(granted), wording=wording, source=source)
        if granted:
            EmailSuppression.objects.filter(email_hash=email_hash(email)).delete()
    return record


def set_consent(*, email: str, user=None, granted: bool, wording: str,
                source: str) -> ConsentRecord | None:
    """Record a change only: nothing when the current status already is ``granted``
    (a form saved twice does not pile up records). Returns the new record, if any."""
    if granted == may_email_marketing(email):
        return None
    return record_consent(email=email, user=user, granted=granted, wording=wording,
                         source=source)


def suppress(*, email: str, reason: str) -> None:
    """Put an address on the suppression list (hashed); idempotent."""
    email = normalise_email(email)
    if email:
        EmailSuppression.objects.get_or_create(email_hash=email_hash(email),
                                               defaults={"reason": reason[:100]})
