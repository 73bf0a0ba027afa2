"""Read-side queries for marketing: the emails sent to a person, consent history."""

from __future__ import annotations

from django.db.models import QuerySet

from .consent import normalise_email
from .models import ConsentRecord, MarketingEmail


def emails_sent_to(email: str) -> QuerySet[MarketingEmail]:
    """Marketing emails actually sent to ``email``, newest first (one query when listed)."""
    return (MarketingEmail.objects.filter(to=normalise_email(email),
                                          status=MarketingEmail.Status.SENT)
            .only("pk", "to", "kind", "subject", "sent_at", "created_at")
            .order_by("-sent_at", "-pk"))


def consent_history(email: str) -> QuerySet[ConsentRecord]:
    return ConsentRecord.objects.filter(email=normalise_email(email)).order_by(
        "-recorded_at", "-pk")
