"""The customers app's part of a data request (``kernel.personal_data``).

- ``contact_messages``: exported; erased by deleting them (they are the person's words;
  nothing the law requires us to keep).
- ``customer_notes``: staff's notes about the person, exported (a person may see what is
  held about them); erased when the account is closed.
- ``customer_segments``: derived RFM figures, exported, their rows deleted (the nightly
  refresh would bring them back only from orders still kept under the person's email;
  ``privacy`` anonymises those orders' emails first).
"""

from __future__ import annotations

from django.db.models import Q

from kernel.personal_data import Subject

from .models import ContactMessage, CustomerNote, CustomerSegment


def _by_subject(subject: Subject, *, user_field: str | None = "user") -> Q:
    query = Q(email__in=subject.email_set) if subject.email_set else Q(pk__in=[])
    if user_field and subject.user is not None:
        query |= Q(**{user_field: subject.user})
    return query


def export_contact_messages(subject: Subject) -> list[dict]:
    rows = ContactMessage.objects.filter(_by_subject(subject, user_field=None))
    return [{"sent_at": row.created_at.isoformat(), "name": row.name, "email": row.email,
             "order_number": row.order_number, "subject": row.subject,
             "message": row.message, "status": row.status} for row in rows]


def erase_contact_messages(subject: Subject) -> None:
    ContactMessage.objects.filter(_by_subject(subject, user_field=None)).delete()


def export_customer_notes(subject: Subject) -> list[dict]:
    rows = CustomerNote.objects.filter(_by_subject(subject)).select_related("order")
    return [{"written_at": row.created_at.isoformat(), "text": row.text,
             "order": row.order.number if row.order_id else ""} for row in rows]


def erase_customer_notes(subject: Subject) -> None:
    CustomerNote.objects.filter(_by_subject(subject)).delete()


def export_segments(subject: Subject) -> list[dict]:
    rows = CustomerSegment.objects.filter(_by_subject(subject))
    return [{"email": row.email, "segment": row.segment, "recency_days": row.recency_days,
             "frequency": row.frequency, "monetary": str(row.monetary),
             "refreshed_at": row.refreshed_at.isoformat()} for row in rows]


def erase_segments(subject: Subject) -> None:
    CustomerSegment.objects.filter(_by_subject(subject)).delete()
