"""Webhook signals, sent by ``shop.webhooks.services`` after commit; the receivers in
``shop.webhooks.receivers`` enqueue the tasks (services never import their own tasks)."""

from django.dispatch import Signal

# delivery_id, countdown (seconds or None): a delivery is due now, or after its backoff.
delivery_scheduled = Signal()
# endpoint_id: an endpoint failing for too long was switched off; its contact is told.
endpoint_disabled = Signal()
