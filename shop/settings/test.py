"""Tests: PostgreSQL and Redis where the machine has them (CI must have them).

`make test` points DATABASE_URL at the machine's PostgreSQL. When that server cannot be
reached, CI (CI=true) stops with an error; elsewhere the suite falls back to SQLite and the
PostgreSQL-only tests skip with a message saying why.
"""

import os
import sys
import tempfile

from .base import *  # noqa: F403
from .base import DATABASES, env


def _postgres_reachable(settings_dict: dict) -> bool:
    import psycopg2

    try:
        psycopg2.connect(
            dbname="postgres",
            user=settings_dict.get("USER") or None,
            password=settings_dict.get("PASSWORD") or None,
            host=settings_dict.get("HOST") or None,
            port=settings_dict.get("PORT") or None,
            connect_timeout=3,
        ).close()
    except psycopg2.OperationalError:
        return False
    return True


IN_CI = env.bool("CI", default=False)
if DATABASES["default"]["ENGINE"].endswith("postgresql") and not _postgres_reachable(
    DATABASES["default"]
):
    if IN_CI:
        raise RuntimeError(f"CI needs PostgreSQL at {env('DATABASE_URL')}; it is not reachable.")
    print(
        "\n*** PostgreSQL is not reachable: running on SQLite; "
        "PostgreSQL-only tests will skip. ***\n",
        file=sys.stderr,
    )
    DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
DATABASES["default"]["CONN_MAX_AGE"] = 0
# The suite runs on the primary alone, whatever the environment says; the replica tests
# (tests/shop/test_read_replica.py) start a replica of their own and install the router.
DATABASES.pop("replica", None)
DATABASE_ROUTERS: list = []
MIDDLEWARE = [name for name in MIDDLEWARE  # noqa: F405
              if name != "shop.web.replicas.ReplicaReadsMiddleware"]

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# Unit tests run tasks eagerly. The worker integration test starts a real worker process
# with TEST_CELERY_BROKER_URL pointing at Redis, and sends to it from the test.
CELERY_BROKER_URL = env("TEST_CELERY_BROKER_URL", default="memory://")
CELERY_TASK_ALWAYS_EAGER = CELERY_BROKER_URL == "memory://"
# A test worker consuming one queue of its own (TEST_CELERY_QUEUE) gets every task there,
# those it queues itself included; the routing test uses CELERY_QUEUE_PREFIX instead.
if env("TEST_CELERY_QUEUE", default=""):
    CELERY_TASK_DEFAULT_QUEUE = env("TEST_CELERY_QUEUE")
    CELERY_TASK_ROUTES = None
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
MEDIA_ROOT = Path(os.environ.get("TEST_MEDIA_ROOT") or tempfile.mkdtemp(prefix="shop-media-"))  # noqa: F405
# Beside it, not inside it; worker processes given TEST_MEDIA_ROOT find the same folder.
PRIVATE_MEDIA_ROOT = MEDIA_ROOT.with_name(f"{MEDIA_ROOT.name}-private")
STORAGES = {**STORAGES, "private": {**STORAGES["private"],  # noqa: F405
                                    "OPTIONS": {"location": PRIVATE_MEDIA_ROOT}}}
SERVE_MEDIA = True
# Static files come straight from the app folders (no collectstatic needed outside production).
STATIC_ROOT = None
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
