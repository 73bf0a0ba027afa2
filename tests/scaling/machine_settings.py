"""Settings of the "machines" the several-web-machines test starts (two gunicorn instances,
two workers, beat): the test settings with what production shares between machines instead
of process memory: the cache (rate-limit windows, funnel counters) in Redis under a key
prefix of the test's own, sessions in PostgreSQL (as always), Celery on Redis with the queues
per kind of work under the test's queue prefix (CELERY_QUEUE_PREFIX)."""

import os

from shop.settings.test import *  # noqa: F403
from shop.settings.test import CELERY_BEAT_SCHEDULE

CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                      "LOCATION": os.environ["MACHINE_REDIS_URL"],
                      "KEY_PREFIX": os.environ["MACHINE_PREFIX"]}}
SHOP_RATE_LIMITS_ENABLED = True
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
# Beat writes the funnel counters down every few seconds instead of every five minutes.
CELERY_BEAT_SCHEDULE = {**CELERY_BEAT_SCHEDULE,
                        "flush-funnel-counts": {**CELERY_BEAT_SCHEDULE["flush-funnel-counts"],
                                                "schedule": 2.0}}
