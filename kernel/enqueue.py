"""The one way to queue a Celery task, with one policy for a dead broker.

``enqueue(task, *args, countdown=None, **kwargs)`` queues after commit when called inside a
transaction (``transaction.on_commit``; right away otherwise). When the broker can't take
the task (kombu's ``OperationalError``, a refused or dropped connection), the task is
recorded in ``kernel.models.DeferredTask`` and a warning is logged; the beat sweep
(``shop.tasks.resend_deferred_tasks``) sends it again. A task is never run inline in the
request instead: a web request must not do a worker's job, and a task that waits for
the sweep is safe because every task is idempotent.

Inside a web request the publishing waits for the response: the after-commit callbacks
collect the tasks and ``request_finished`` (sent once the response has been handed to the
client) publishes them. A shopper does not wait for the broker's round trips (about half a
millisecond of Celery's work per task, five tasks when an order is paid), and nothing is
published for a transaction that rolled back. Outside a request (a Celery task, a command)
a task is published at commit, as before. Work a process dies holding between response and
publish is what the sweeps already catch up on: each task's need is visible in the database.

This module imports neither Celery nor any app: ``task`` is anything with Celery's task
interface (``name``, ``delay``, ``apply_async``).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from functools import partial

from django.db import DatabaseError, transaction
from kombu.exceptions import OperationalError

logger = logging.getLogger(__name__)

# What a publish raises when the broker is down or unreachable.
BROKER_ERRORS = (OperationalError, ConnectionError, OSError)

# The tasks a request's committed transactions queued, published when its response is done
# (``publish_after_response``); ``pending`` is None outside a request.
_request = threading.local()


def enqueue(task, *args, countdown: float | None = None, **kwargs) -> None:
    """Queue ``task(*args, **kwargs)`` after the current transaction commits (at once
    outside a transaction); ``countdown`` delays it by that many seconds.

    Guarantees: a rolled-back transaction queues nothing; a broker error never reaches the
    caller: the task is recorded for the resend sweep instead, and never run inline.
    """
    transaction.on_commit(partial(_after_commit, task, args, kwargs, countdown))


def _after_commit(task, args: tuple, kwargs: dict, countdown: float | None) -> None:
    pending = getattr(_request, "pending", None)
    if pending is None:
        _send(task, args, kwargs, countdown)
    else:
        pending.append((task, args, kwargs, countdown))


def collect_during_request(**_signal) -> None:
    """``request_started``: from now on this thread's committed tasks wait for the response.
    Anything a request left behind unpublished (it never finished) goes out first."""
    publish_after_response()
    _request.pending = []


def publish_after_response(**_signal) -> None:
    """``request_finished``: publish, in order, what the request's transactions queued."""
    pending, _request.pending = getattr(_request, "pending", None), None
    failure = None
    for task, args, kwargs, countdown in pending or ():
        try:
            _send(task, args, kwargs, countdown)  # a broker error is recorded there
        except Exception as error:  # a bug, or an eager task's own error: the rest still go
            failure = failure or error
    if failure is not None:
        raise failure


def _send(task, args: tuple, kwargs: dict, countdown: float | None) -> None:
    try:
        if countdown is None:
            task.delay(*args, **kwargs)
        else:
            task.apply_async(args=args, kwargs=kwargs, countdown=countdown)
    except BROKER_ERRORS as error:
        _record(task.name, args, kwargs, error)


def _record(task_name: str, args: tuple, kwargs: dict, error: Exception) -> None:
    from .models import DeferredTask  # the model needs the app registry, importing this doesn't

    try:
        DeferredTask.objects.create(task_name=task_name, args=list(args), kwargs=kwargs,
                                    last_error=str(error)[:500])
    except DatabaseError:
        logger.exception("Could not queue %s%s (%s) nor record it; only a sweep of the "
                         "work it stands for can catch up", task_name, args, error)
        return
    logger.warning("Could not queue %s%s (%s); recorded for the resend sweep", task_name,
                   args, error)


def resend_deferred_tasks(*, send: Callable[[str, list, dict], object],
                          limit: int = 500) -> int:
    """Send recorded tasks again, oldest first, with ``send(task_name, args, kwargs)``;
    delete each row once sent. Returns how many were sent.

    Each row is locked (``skip_locked``) while it is sent, so two sweeps never send the
    same row. The first broker error stops the sweep (the broker is still down): that row
    counts the attempt and keeps the error, the rest wait for the next run. A task sent
    twice (a crash between send and delete) is harmless: tasks are idempotent.
    """
    from .models import DeferredTask

    sent = 0
    for row_id in DeferredTask.objects.order_by("pk").values_list("pk", flat=True)[:limit]:
        with transaction.atomic():
            row = (DeferredTask.objects.select_for_update(skip_locked=True)
                   .filter(pk=row_id).first())
            if row is None:
                continue  # another sweep has it, or sent it already
            try:
                send(row.task_name, row.args, row.kwargs)
            except BROKER_ERRORS as error:
                row.attempts += 1
                row.last_error = str(error)[:500]
                row.save(update_fields=["attempts", "last_error"])
                logger.warning("The broker is still down (%s); %s stays recorded", error,
                               row.task_name)
                break
            row.delete()
            sent += 1
    return sent
