"""Marketing's sections of a person's data (kernel.personal_data).

- ``marketing_consent``: export every grant and withdrawal; erase deletes them and puts
  each address on the suppression list as a SHA-256 hash, so an erased person is never
  mailed again (we keep no readable address; only a new, explicit opt-in lifts it).
- ``marketing_emails``: export the log of marketing emails sent; erase anonymises the
  address on each row (the row stays so the send counts on the dashboard still add up).
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import Q

from kernel.personal_data import Subject

from .consent import normalise_email, suppress
from .models import ConsentRecord, MarketingEmail

ERASED_ADDRESS = "erased@invalid"


def _consent_rows(subject: Subject):
    query = Q(email__in=subject.email_set)
    if subject.user is not None:
        query |= Q(user=subject.user)
    return ConsentRecord.objects.filter(query)


def export_consent(subject: Subject) -> list[dict]:
    return [{"email": row.email, "status": "granted" if row.granted else "withdrawn",
             "wording": row.wording, "source": row.source,
             "recorded_at": row.recorded_at.isoformat()}
            for row in _consent_rows(subject).order_by("recorded_at", "pk")]


def erase_consent(subject: Subject) -> None:
    with transaction.atomic():
        rows = _consent_rows(subject)
        emails = subject.email_set | {normalise_email(email)
                                      for email in rows.values_list("email", flat=True)}
        for email in sorted(emails):
            suppress(email=email, reason="Personal data erased")
        rows.delete()


def export_emails(subject: Subject) -> list[dict]:
    return [{"to": row.to, "kind": row.kind, "subject": row.subject,
             "sent_at": row.sent_at.isoformat() if row.sent_at else None,
             "status": row.status}
            for row in MarketingEmail.objects.filter(to__in=subject.email_set)
            .order_by("created_at", "pk")]


def erase_emails(subject: Subject) -> None:
    MarketingEmail.objects.filter(to__in=subject.email_set).update(
        to=ERASED_ADDRESS, context={})
