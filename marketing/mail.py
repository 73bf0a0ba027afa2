"""Sending marketing email: only to people who may be emailed, once per ``dedupe_key``,
with a one-click unsubscribe link and the RFC 8058 ``List-Unsubscribe`` headers.

``send_marketing_email`` writes the log row (``MarketingEmail``, unique ``dedupe_key``)
and, after commit, sends ``marketing_email_queued``, whose receiver queues the task
(``send_queued_marketing_email``, its work in ``delivery``). The task locks the row,
checks consent again (it may have been withdrawn meanwhile) and the kind's send guard
(``register_send_guard``: a cart reminder is not sent once the cart was ordered), then
sends and marks it sent inside the lock: a task run twice sends one email, a mail server
that refuses rolls the mark back for the retry.
"""

from __future__ import annotations

import json
from functools import partial

from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction
from django.template.loader import get_template

from .consent import may_email_marketing, normalise_email
from .delivery import register_send_guard
from .models import MarketingEmail
from .signals import marketing_email_queued

__all__ = ["register_send_guard", "send_marketing_email"]


def _json_safe(context: dict) -> dict:
    return json.loads(json.dumps(context, cls=DjangoJSONEncoder))


def send_marketing_email(*, to: str, subject: str, template: str, context: dict, kind: str,
                         dedupe_key: str) -> bool:
    """Queue one marketing email. ``template`` names ``emails/<template>.txt`` and
    ``.html``; ``context`` must be JSON-serialisable (dates and Decimals become strings).

    Returns False (and queues nothing) when the address may not be emailed or the
    ``dedupe_key`` was already used; True when queued (sent after commit by a task).
    Raises ``TemplateDoesNotExist`` for a template that isn't there.
    """
    to = normalise_email(to)
    if not to or not may_email_marketing(to):
        return False
    for extension in ("txt", "html"):  # a missing template fails the caller, not the worker
        get_template(f"emails/{template}.{extension}")
    try:
        with transaction.atomic():
            row = MarketingEmail.objects.create(
                dedupe_key=dedupe_key[:200], to=to, kind=kind[:50], subject=subject[:200],
                template=template, context=_json_safe(context))
    except IntegrityError:
        return False  # this key was queued (or sent) before
    transaction.on_commit(partial(marketing_email_queued.send, sender=MarketingEmail,
                                  email_id=row.pk))
    return True


