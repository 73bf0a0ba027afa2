"""Outbound webhooks for 3PLs and integrations.

Merchants register endpoints in admin with the events they want. Each event is stored
once (``WebhookEvent``) with one ``WebhookDelivery`` per subscribed endpoint; Celery sends
it as signed JSON (``signing``), outside any transaction, with exponential backoff for up to
``SHOP_WEBHOOK_RETRY_HOURS``, one ``WebhookAttempt`` row per try. An order's events reach
an endpoint one at a time, in the order they happened.

A small Django app (label ``webhooks``) inside ``shop``, the top layer, because it listens
to the signals of every app below it.
"""
