"""Staff notes on a customer or one of their orders."""

from __future__ import annotations

from django.db import transaction

from orders.models import Order

from ..exceptions import NoteInvalid
from ..models import CustomerNote

NOTE_MAX = 2000


def add_customer_note(*, author, text: str, email: str = "", user=None,
                      order: Order | None = None) -> CustomerNote:
    """Add a staff note. About an order: the order's email and account are the customer.
    Else about ``user`` (their email) or a guest's ``email``.

    Preconditions (else ``NoteInvalid``): some text, at most 2,000 characters; a customer
    to attach it to.
    """
    text = (text or "").strip()
    if not text:
        raise NoteInvalid("Write the note first.")
    if len(text) > NOTE_MAX:
        raise NoteInvalid(f"A note can be at most {NOTE_MAX} characters.")
    if order is not None:
        email, user = order.email, order.user
    elif user is not None and not email:
        email = user.email
    email = (email or "").strip().lower()
    if not email and user is None:
        raise NoteInvalid("A note needs a customer: an order, an account or an email.")
    with transaction.atomic():
        return CustomerNote.objects.create(email=email, user=user, order=order,
                                           author=author, text=text)
