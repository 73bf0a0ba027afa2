"""A return's moves and its timeline: every transition writes the new state, a
``ReturnEvent`` and (when asked) an event on the order's timeline, and sends
``return_state_changed`` after commit. Shared by the return services."""

from __future__ import annotations

from functools import partial

from django.db import transaction

from orders import services as order_services

from .. import signals
from ..models import ReturnEvent, ReturnRequest


def record_step(return_request: ReturnRequest, message: str, *, actor=None,
                order_event: str = "", state: str = "") -> None:
    ReturnEvent.objects.create(return_request=return_request, state=state, message=message[:500],
                               actor=_user(actor))
    if order_event:
        order_services.record_event(return_request.order, order_event,
                                    f"{return_request.number}: {message}",
                                    actor=actor, data={"return": return_request.number})


def move_to(return_request: ReturnRequest, state: str, message: str, *, actor=None,
            order_event: str = "") -> None:
    return_request.ensure_can_become(state)
    return_request.state = state
    return_request.save()
    record_step(return_request, message, actor=actor, order_event=order_event, state=state)
    transaction.on_commit(partial(signals.return_state_changed.send, sender=ReturnRequest,
                                  return_id=return_request.pk, state=state))


def _user(actor):
    return actor if actor is not None and getattr(actor, "is_authenticated", False) else None
