"""Settings for `make bench`: production settings, served on 127.0.0.1 over plain HTTP.

Production needs SECRET_KEY, ALLOWED_HOSTS and DATABASE_URL; the harness sets DATABASE_URL
to the bench database and the first two get harmless defaults here. On top of production:
no HTTPS redirect (the bench speaks plain HTTP to 127.0.0.1), a bench-only URLconf that adds
the bare-Django baseline view, and STATIC_ROOT in the harness's temporary directory (the
manifest storage needs `collectstatic`, which the harness runs first).
"""

import os

os.environ.setdefault("SECRET_KEY", "bench-only-secret-key-not-used-anywhere-else-0123456789")
os.environ.setdefault("ALLOWED_HOSTS", "127.0.0.1,localhost")

from shop.settings.production import *  # noqa: E402,F403
from shop.settings.production import CELERY_BEAT_SCHEDULE, LOGGING, env  # noqa: E402

DEBUG = False
SECURE_SSL_REDIRECT = False
SECURE_HSTS_SECONDS = 0
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]  # the bench only ever talks to 127.0.0.1
ROOT_URLCONF = "tests.benchmarks.bench_urls"
# One client placing thousands of orders from 127.0.0.1: the shop's rate limits would stop it.
SHOP_RATE_LIMITS_ENABLED = False
STATIC_ROOT = env("BENCH_STATIC_ROOT", default=str(BASE_DIR / "staticfiles"))  # noqa: F405
# Warnings (404s, slow queries) still reach gunicorn's error log; nothing per request.
LOGGING = {**LOGGING, "root": {**LOGGING["root"], "level": env("LOG_LEVEL", default="WARNING")}}
# The soak bench runs beat: BENCH_SWEEP_SECONDS=30 runs every "sweep-*" entry at least that
# often, so sweeps happen within a short run. Unset: the shop's own schedule.
if _sweep_seconds := env.float("BENCH_SWEEP_SECONDS", default=0.0):
    CELERY_BEAT_SCHEDULE = {
        name: {**entry, "schedule": min(entry["schedule"], _sweep_seconds)}
        if name.startswith("sweep-") and isinstance(entry["schedule"], int | float) else entry
        for name, entry in CELERY_BEAT_SCHEDULE.items()
    }
