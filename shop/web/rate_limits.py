"""Rate limits on login, password reset, voucher codes, order lookup and checkout.

Fixed-window counters in the cache (Redis in production, so every web process counts
together; local memory in tests), per client IP and, where there is one, per account (the
logged-in user, or the email a login or reset is attempted for). Limits come from
``SHOP_RATE_LIMITS``: ``{"login": {"ip": "20/10m", "account": "10/10m"}, ...}``, a rate
being "<requests>/<n><s|m|h|d>". Over a limit, pages answer 429 with the shop's page and
the API with DRF's throttling answer; both carry ``Retry-After``.

Views change by one line: ``@rate_limited("login")`` for pages, ``throttle_classes =
[rate_throttle("voucher")]`` for API views.
"""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from rest_framework.throttling import BaseThrottle

from shop.web.client_ip import client_ip

RATE = re.compile(r"^\s*(\d+)\s*/\s*(\d*)\s*([smhd])\s*$")
UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_rate(rate: str) -> tuple[int, int]:
    """"10/15m" -> (10 requests, 900 seconds)."""
    match = RATE.match(rate)
    if not match:
        raise ValueError(f"Bad rate {rate!r}: use '<requests>/<n><s|m|h|d>', e.g. '10/15m'.")
    count, multiple, unit = match.groups()
    return int(count), int(multiple or 1) * UNITS[unit]


def _count(key: str, window: int) -> int:
    cache.add(key, 0, timeout=window + 1)
    try:
        return cache.incr(key)
    except ValueError:  # evicted between add and incr
        cache.set(key, 1, timeout=window + 1)
        return 1


def hit(*, scope: str, identities: dict[str, str | None]) -> int | None:
    """Count one request against each limit of ``scope`` (``{"ip": ..., "account": ...}``).
    Returns the seconds until the tightest exceeded window ends, or None when allowed."""
    if not settings.SHOP_RATE_LIMITS_ENABLED:
        return None
    now = time.time()
    retry = None
    for kind, rate in settings.SHOP_RATE_LIMITS.get(scope, {}).items():
        identity = identities.get(kind)
        if not identity:
            continue
        limit, window = parse_rate(rate)
        digest = hashlib.sha256(identity.lower().encode()).hexdigest()[:32]
        key = f"rate:{scope}:{kind}:{digest}:{int(now // window)}"
        if _count(key, window) > limit:
            wait = max(int(window - now % window), 1)
            retry = max(retry or 0, wait)
    return retry


def identities(request: HttpRequest, account: str | None = None) -> dict[str, str | None]:
    user = getattr(request, "user", None)
    if account is None and user is not None and user.is_authenticated:
        account = f"user:{user.pk}"
    return {"ip": client_ip(request) or "unknown", "account": account}


def posted_email(request: HttpRequest) -> str | None:
    """The account a login or password reset is tried for (so one account can't be
    hammered from many addresses)."""
    email = (request.POST.get("email") or request.POST.get("username") or "").strip()
    return f"email:{email[:254].lower()}" if email else None


def throttled_message(retry_after: int) -> str:
    # DRF's own wording, so pages and the API say the same.
    return f"Request was throttled. Expected available in {retry_after} seconds."


def too_many_requests(request: HttpRequest, retry_after: int) -> HttpResponse:
    if request.path.startswith("/api/") or "application/json" in request.headers.get(
            "Accept", ""):
        response = JsonResponse({"detail": throttled_message(retry_after)}, status=429)
    else:
        response = render(request, "429.html", {"retry_after": retry_after,
                                                "retry_minutes": -(-retry_after // 60)},
                          status=429)
    response["Retry-After"] = str(retry_after)
    return response


def rate_limited(scope: str, *, methods: tuple[str, ...] = ("POST",),
                 account: Callable[[HttpRequest], str | None] | None = None):
    """Limit a view's ``methods`` requests by ``SHOP_RATE_LIMITS[scope]``. ``account``
    names the account attempted (default: the logged-in user)."""
    def decorator(view):
        @wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs):
            if request.method in methods:
                retry = hit(scope=scope, identities=identities(
                    request, account(request) if account else None))
                if retry:
                    return too_many_requests(request, retry)
            return view(request, *args, **kwargs)
        return wrapper
    return decorator


class ShopRateThrottle(BaseThrottle):
    """DRF throttle on the same counters; over the limit DRF answers 429 with
    ``{"detail": "Request was throttled. Expected available in N seconds."}``."""

    scope = ""
    methods: tuple[str, ...] = ("POST", "PUT", "PATCH")

    def allow_request(self, request, view) -> bool:
        if request.method not in self.methods:
            return True
        self.retry_after = hit(scope=self.scope, identities=identities(request))
        return self.retry_after is None

    def wait(self) -> float | None:
        return self.retry_after


def rate_throttle(scope: str, *, methods: tuple[str, ...] = ("POST", "PUT", "PATCH")):
    return type(f"{scope.title().replace('_', '')}Throttle", (ShopRateThrottle,),
                {"scope": scope, "methods": methods})
