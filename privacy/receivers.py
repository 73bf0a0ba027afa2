"""Receivers: a signal in, a task queued; nothing more."""

from __future__ import annotations

from kernel.enqueue import enqueue

from . import tasks
from .signals import data_link_requested


def queue_data_link_email(sender, *, request_id: int, **kwargs) -> None:
    enqueue(tasks.send_guest_data_link, request_id)


def connect() -> None:
    data_link_requested.connect(queue_data_link_email,
                                dispatch_uid="privacy.queue_data_link_email")
