"""The email that carries a guest's data link."""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.urls import reverse

from orders.links import absolute_url
from orders.notifications import email_message

from .links import MAX_AGE, data_link_signature
from .services import mark_link_sent


def send_data_link_email(*, request_id: int) -> bool:
    """Email the signed link for a link request, once: the row is claimed (locked and
    marked sent) in the transaction that sends, so a task run twice sends one email and a
    mail server that refuses rolls the mark back for the retry."""
    with transaction.atomic():
        request = mark_link_sent(request_id=request_id)
        if request is None:
            return False
        link = absolute_url(reverse("account:data_link",
                                    args=[data_link_signature(request.email)]))
        context = {"shop_name": settings.SHOP_NAME, "link": link,
                   "hours": MAX_AGE // 3600}
        email_message(template="privacy_data_link", context=context,
                      subject="the link to your data", to=request.email).send()
        return True
