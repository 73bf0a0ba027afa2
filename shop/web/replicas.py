"""Reads that may lag go to a read replica; everything else stays on the primary.

Installed only when ``DATABASE_REPLICA_URL`` is set (see shop.settings.base): the database
alias ``replica``, ``PrimaryReplicaRouter`` and ``ReplicaReadsMiddleware``.

- **Opt-in by view.** Nothing reads from the replica unless the request is a GET or HEAD
  to a view named in ``SHOP_REPLICA_VIEWS`` (the storefront's catalog pages, the API's
  catalog endpoints, the dashboards). Cart, checkout, payments, stock operations, staff
  admin, Celery tasks and the stock and money checks never enter that scope, so they read
  from the primary. Inside the scope, the models in ``SHOP_PRIMARY_ONLY_MODELS`` (sessions,
  carts) and every query inside ``transaction.atomic()`` still use the primary.
- **Read-your-writes.** Any request that may write (POST, PUT, PATCH, DELETE) answers with
  a cookie stamped with the time; for ``SHOP_READ_YOUR_WRITES_SECONDS`` after it, that
  visitor's pages read from the primary, so a shopper sees their own review, address or
  account change at once even while the replica lags.
- **A missing or lagging replica never breaks a page.** Before a request uses the replica
  the process checks it (at most every ``SHOP_REPLICA_CHECK_SECONDS``): unreachable, or
  further behind than ``SHOP_REPLICA_MAX_LAG_SECONDS`` when that is set, and the request
  reads from the primary. A replica that fails mid-request (connection refused, killed
  backend; a fresh check tells it from a failing primary) is marked down and the view runs
  again on the primary; these views only read, so running one again is safe.

The health mark is per process on purpose: it is a circuit breaker for this process's own
connections, not shared state, and each process finds out for itself within seconds.
"""

from __future__ import annotations

import logging
import threading
import time
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import connections
from django.http import HttpRequest, HttpResponse

from shop.web.unavailable import DATABASE_ERRORS

logger = logging.getLogger(__name__)

PRIMARY = "default"
REPLICA = "replica"
COOKIE = "shop_wrote"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
# Seconds the replica's replay is behind the primary: 0 when it has replayed all it
# received, else the age of the last transaction it replayed (conservative: an idle primary
# followed by one commit reads as the whole idle time until it is replayed).
LAG_SQL = """
    SELECT CASE
        WHEN NOT pg_is_in_recovery() THEN 0
        WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0
        ELSE COALESCE(EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()), 0)
    END
"""


@dataclass
class _Scope:
    active: bool = False
    view: tuple[Any, tuple, dict] | None = None


_scope: ContextVar[_Scope | None] = ContextVar("shop_replica_scope", default=None)


@dataclass
class _Health:
    healthy: bool = True
    checked_at: float = float("-inf")
    lock: threading.Lock = field(default_factory=threading.Lock)


_health = _Health()


def replica_configured() -> bool:
    return REPLICA in settings.DATABASES


def reading_from_replica() -> bool:
    """True inside a request that the middleware let read from the replica."""
    scope = _scope.get()
    return scope is not None and scope.active


class PrimaryReplicaRouter:
    """Writes and migrations: the primary. Reads: the replica only inside a replica-read
    request, outside ``atomic()`` and not for the primary-only models."""

    def db_for_read(self, model, **hints):
        if not reading_from_replica():
            return PRIMARY
        if model._meta.label_lower in settings.SHOP_PRIMARY_ONLY_MODELS:
            return PRIMARY
        if connections[PRIMARY].in_atomic_block:
            return PRIMARY
        return REPLICA

    def db_for_write(self, model, **hints):
        return PRIMARY

    def allow_relation(self, obj1, obj2, **hints):
        return True  # the replica holds the primary's rows

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db != REPLICA


# --- Replica health --------------------------------------------------------------------------

def replica_lag_seconds() -> float:
    """How far the replica's replay is behind, in seconds; raises a database error when the
    replica cannot be reached."""
    with connections[REPLICA].cursor() as cursor:
        cursor.execute(LAG_SQL)
        return float(cursor.fetchone()[0])


def replica_usable() -> bool:
    """Whether this process may read from the replica now (checked at most every
    ``SHOP_REPLICA_CHECK_SECONDS``)."""
    now = time.monotonic()
    if now - _health.checked_at < settings.SHOP_REPLICA_CHECK_SECONDS:
        return _health.healthy
    with _health.lock:
        if now - _health.checked_at < settings.SHOP_REPLICA_CHECK_SECONDS:
            return _health.healthy
        healthy = _check_replica()
        _health.healthy, _health.checked_at = healthy, time.monotonic()
    return healthy


def _check_replica() -> bool:
    max_lag = settings.SHOP_REPLICA_MAX_LAG_SECONDS
    try:
        lag = replica_lag_seconds()
    except DATABASE_ERRORS as error:
        logger.warning("Read replica unreachable, reading from the primary: %s", error)
        connections[REPLICA].close()
        return False
    if max_lag is not None and lag > max_lag:
        logger.warning("Read replica %.1fs behind (limit %ss), reading from the primary",
                       lag, max_lag)
        return False
    return True


def mark_replica_down() -> None:
    """After a failure mid-request: no replica reads in this process until the next check."""
    with _health.lock:
        _health.healthy, _health.checked_at = False, time.monotonic()
    try:
        connections[REPLICA].close()
    except DATABASE_ERRORS:
        pass  # the connection is broken already; closing it is all that was wanted


def forget_replica_health() -> None:
    """Check the replica again on the next request (tests, and after a failover)."""
    with _health.lock:
        _health.healthy, _health.checked_at = True, float("-inf")


# --- Per request -----------------------------------------------------------------------------

def wrote_recently(request: HttpRequest) -> bool:
    stamp = request.COOKIES.get(COOKIE, "")
    try:
        wrote_at = int(stamp)
    except ValueError:
        return False
    return 0 <= time.time() - wrote_at < settings.SHOP_READ_YOUR_WRITES_SECONDS


def view_reads_from_replica(view_name: str) -> bool:
    for pattern in settings.SHOP_REPLICA_VIEWS:
        if pattern == view_name or (pattern.endswith(":*") and
                                    view_name.startswith(pattern[:-1])):
            return True
    return False


class ReplicaReadsMiddleware:
    """Opens the replica-read scope for catalog and dashboard views, stamps writers with the
    read-your-writes cookie, and runs a view again on the primary when the replica fails."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = _scope.set(_Scope())
        try:
            response = self.get_response(request)
        finally:
            _scope.reset(token)
        if request.method not in SAFE_METHODS:
            seconds = settings.SHOP_READ_YOUR_WRITES_SECONDS
            response.set_cookie(COOKIE, str(int(time.time())), max_age=seconds,
                                httponly=True, samesite="Lax",
                                secure=settings.SESSION_COOKIE_SECURE)
        return response

    def process_view(self, request: HttpRequest, view_func, view_args, view_kwargs):
        scope = _scope.get()
        if scope is None or request.method not in ("GET", "HEAD"):
            return None
        match = request.resolver_match
        if match is None or not view_reads_from_replica(match.view_name):
            return None
        if wrote_recently(request) or not replica_usable():
            return None
        scope.active = True
        scope.view = (view_func, view_args, view_kwargs)
        return None

    def process_exception(self, request: HttpRequest, exception: Exception):
        scope = _scope.get()
        if scope is None or not scope.active or not isinstance(exception, DATABASE_ERRORS):
            return None
        if _check_replica():
            return None  # the replica answers: the primary failed (DatabaseUnavailable: 503)
        logger.warning("Read replica failed during %s %s, reading from the primary: %s",
                       request.method, request.path, exception)
        mark_replica_down()
        scope.active = False
        view_func, view_args, view_kwargs = scope.view
        response = view_func(request, *view_args, **view_kwargs)
        if callable(getattr(response, "render", None)):
            response = response.render()  # the handler renders only the first response
        return response
