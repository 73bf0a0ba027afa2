"""First-party funnel counts, cheap enough for every storefront request.

Views mark what a request did (``record(request, "product_view")``); the middleware
counts each step once per browser per day: a first-party cookie holds the day and the
steps already counted (no id, nothing personal), and each new step is one ``incr`` of a
per-day counter in the cache (Redis in production). No SQL on the storefront's path.
``flush_funnel_counts`` (beat, every 5 minutes) writes the counters to ``DailyFunnel``;
the funnel panel also reads the counters not yet flushed, so it is live, and works in
development where the cache is local memory and no beat runs.

A cache that is down loses counts, never a page: errors are logged and ignored.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from redis.exceptions import RedisError

from .models import DailyFunnel
from .periods import local_today

logger = logging.getLogger(__name__)

# step -> (cookie flag, DailyFunnel field)
STEPS = {
    "session": ("s", "sessions"),
    "product_view": ("v", "product_views"),
    "add_to_cart": ("a", "add_to_carts"),
    "checkout_started": ("c", "checkouts_started"),
}
COOKIE = "sf_funnel"
KEEP_DAYS = 3  # counters live this long in the cache; the flush looks this far back
NOT_COUNTED = ("/admin/", "/dashboard/", "/api/", "/static/", "/media/", "/healthz",
               "/courier/", "/fulfillment/", "/payments/")
CACHE_ERRORS = (RedisError, ConnectionError, OSError)


def record(request, step: str) -> None:
    """Mark that this request reached ``step`` (counted by the middleware, once a day)."""
    steps = getattr(request, "_funnel_steps", None)
    if steps is None:
        steps = request._funnel_steps = set()
    steps.add(step)


def counter_key(day: dt.date, step: str) -> str:
    return f"dashboard:funnel:{day:%Y%m%d}:{step}"


def _is_storefront_page(request, response) -> bool:
    path = request.path_info
    admin = "/" + settings.ADMIN_URL.lstrip("/")
    return (request.method == "GET" and response.status_code == 200
            and response.get("Content-Type", "").startswith("text/html")
            and not path.startswith(NOT_COUNTED) and not path.startswith(admin))


class FunnelMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        marked = getattr(request, "_funnel_steps", set())
        if not marked and not _is_storefront_page(request, response):
            return response
        today = local_today()
        stamp = f"{today:%Y%m%d}"
        day, _, flags = request.COOKIES.get(COOKIE, "").partition(".")
        if day != stamp:
            flags = ""
        new = [step for step in STEPS if step in marked | {"session"}
               and STEPS[step][0] not in flags]
        if not new:
            return response
        for step in new:
            _count(today, step)
        flags += "".join(STEPS[step][0] for step in new)
        response.set_cookie(COOKIE, f"{stamp}.{flags}", max_age=2 * 24 * 3600, httponly=True,
                            samesite="Lax", secure=request.is_secure())
        return response


def _count(day: dt.date, step: str) -> None:
    key = counter_key(day, step)
    try:
        cache.add(key, 0, timeout=KEEP_DAYS * 24 * 3600)
        cache.incr(key)
    except ValueError:  # the key expired between add and incr: one count lost
        pass
    except CACHE_ERRORS as error:
        logger.warning("Funnel count %s not recorded: %s", key, error)


def live_counts(days: list[dt.date]) -> dict[dt.date, dict[str, int]]:
    """The cache's counters for ``days`` (only the last KEEP_DAYS can have any): one
    cache round trip, no SQL."""
    recent = [day for day in days if (local_today() - day).days < KEEP_DAYS]
    if not recent:
        return {}
    keys = {counter_key(day, step): (day, field)
            for day in recent for step, (_, field) in STEPS.items()}
    try:
        found = cache.get_many(list(keys))
    except CACHE_ERRORS as error:
        logger.warning("Funnel counters unreadable: %s", error)
        return {}
    counts: dict[dt.date, dict[str, int]] = {}
    for key, value in found.items():
        day, field = keys[key]
        counts.setdefault(day, {})[field] = int(value)
    return counts


def flush_funnel_counts() -> int:
    """Write the last KEEP_DAYS days' counters to DailyFunnel. Idempotent: a row takes
    the larger of its stored count and the counter (a counter lost with the cache never
    lowers what was written). Returns the rows written."""
    today = local_today()
    counts = live_counts([today - dt.timedelta(days=n) for n in range(KEEP_DAYS)])
    for day, fields in counts.items():
        with transaction.atomic():
            row, _ = DailyFunnel.objects.select_for_update().get_or_create(day=day)
            for field, value in fields.items():
                setattr(row, field, max(getattr(row, field), value))
            row.save()
    return len(counts)
