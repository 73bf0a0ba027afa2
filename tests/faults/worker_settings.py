"""Settings of the workers the fault tests start (never used elsewhere).

Tasks a worker queues itself (the refunded email after a refund) go to the test's queue,
which that worker consumes. ``FAULT_SHORT_VISIBILITY`` is for a worker that restarts after
another was SIGKILLed mid-task: with Redis, a message a dead worker had taken (acks_late:
not yet acknowledged) is handed out again once its visibility timeout passes, an hour by
default; the test shortens it to seconds, as production would get it back after the hour.
"""

import os

from shop.settings.test import *  # noqa: F403

CELERY_TASK_DEFAULT_QUEUE = os.environ["FAULT_QUEUE"]
CELERY_TASK_ROUTES = None  # no queue per kind of work: everything to the test's queue
if os.environ.get("FAULT_SHORT_VISIBILITY"):
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 5, "unacked_restore_interval": 1,
                                       "unacked_restore_throttle": 1}
