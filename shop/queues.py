"""Celery queues per kind of work, so that a flood of one never delays another.

=============  ===========================================================================
queue          work
=============  ===========================================================================
orders         orders, payments and returns follow-up: holds, captures, voids, refunds,
               cancels, backorders, restocks, their sweeps
fulfillment    shipments, shipping and return labels, tracking polls
emails         every email to a shopper (and the merchant's purchase orders): ``send_*``
webhooks       merchant webhooks: events, deliveries, their retries and sweep
analytics      KPI roll-ups, funnel counters, the nightly stock and money checks
celery         the rest (the default queue): thumbnails, clearances, the deferred-task resend
=============  ===========================================================================

Routes match task names (``<module>.<function>``); the first pattern that matches wins, so
the ``send_*`` email rule comes before the per-app rules. A worker started without ``-Q``
consumes every queue (``make run``, ``make worker``); production runs a worker per group
(docker-compose.yml). ``prefix`` names a set of queues apart from another on the same Redis
(the routing test runs its own workers on ``<prefix>fulfillment`` and so on).
"""

from __future__ import annotations

from kombu import Exchange, Queue

DEFAULT = "celery"
KINDS = ("orders", "fulfillment", "emails", "webhooks", "analytics")

# Task name pattern -> queue kind, first match wins.
ROUTES: tuple[tuple[str, str], ...] = (
    ("*.send_*", "emails"),
    ("inventory.tasks.email_purchase_order", "emails"),
    ("shop.webhooks.tasks.notify_endpoint_disabled", "emails"),
    ("marketing.tasks.*", "emails"),
    ("fulfillment.tasks.capture_at_shipment", "orders"),
    ("fulfillment.tasks.*", "fulfillment"),
    ("returns.tasks.issue_return_label", "fulfillment"),
    ("orders.tasks.*", "orders"),
    ("payments.tasks.*", "orders"),
    ("returns.tasks.*", "orders"),
    ("shop.webhooks.tasks.*", "webhooks"),
    ("shop.dashboard.tasks.*", "analytics"),
    ("shop.stockcheck.tasks.*", "analytics"),
    ("shop.moneycheck.tasks.*", "analytics"),
    ("customers.tasks.refresh_*", "analytics"),
)


def queue_names(prefix: str = "") -> list[str]:
    """Every queue, the default one first."""
    return [f"{prefix}{name}" for name in (DEFAULT, *KINDS)]


def celery_routing(prefix: str = "") -> dict:
    """The Celery settings (lower-case names) that route tasks to the queues above."""
    return {
        "task_default_queue": f"{prefix}{DEFAULT}",
        "task_queues": [Queue(name, Exchange(name), routing_key=name)
                        for name in queue_names(prefix)],
        "task_routes": {pattern: {"queue": f"{prefix}{kind}"} for pattern, kind in ROUTES},
    }


def queue_for(task_name: str, prefix: str = "") -> str:
    """The queue a task name is routed to (as Celery's glob routes would pick it)."""
    from fnmatch import fnmatchcase

    for pattern, kind in ROUTES:
        if fnmatchcase(task_name, pattern):
            return f"{prefix}{kind}"
    return f"{prefix}{DEFAULT}"
