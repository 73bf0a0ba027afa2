"""Payments' own signals, sent after commit by ``payments.services``.

Receivers enqueue Celery tasks; they do no work inline.
"""

from django.dispatch import Signal

# call_ids: refunds recorded as intents (gateway calls in flight) to be made now; the sweep
# (``finish_calls_in_flight``) makes them if this is lost.
refunds_recorded = Signal()
