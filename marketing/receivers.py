"""Marketing signals to tasks. Receivers only enqueue (``kernel.enqueue``)."""

from __future__ import annotations

from kernel.enqueue import enqueue

from . import signals, tasks


def on_marketing_email_queued(sender, email_id: int, **kwargs) -> None:
    enqueue(tasks.send_queued_marketing_email, email_id)


def connect() -> None:
    signals.marketing_email_queued.connect(on_marketing_email_queued,
                                           dispatch_uid="marketing.deliver")
