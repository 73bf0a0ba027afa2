"""The shared cache used as a speed-up only: a cache that is down costs speed, never a page.

Every read answers "not cached" and every write is skipped when the cache backend raises
(Redis refusing connections, timing out, a full memory): whatever its client raises, so the
backend can change without this changing. Rate limits and the funnel counters, which must
decide something when the cache is away, have their own policies and don't use this.
"""
from __future__ import annotations

import logging

from django.core.cache import cache

logger = logging.getLogger(__name__)


def _unavailable(action: str, error: Exception) -> None:
    logger.warning("Cache unavailable (%s skipped): %s", action, error)


def get(key: str, default=None):
    try:
        return cache.get(key, default)
    except Exception as error:  # noqa: BLE001 - any backend's connection error
        _unavailable("get", error)
        return default


def get_many(keys: list[str]) -> dict:
    try:
        return cache.get_many(keys)
    except Exception as error:  # noqa: BLE001
        _unavailable("get_many", error)
        return {}


def set(key: str, value, timeout) -> None:  # noqa: A001 - the cache's own verb
    try:
        cache.set(key, value, timeout)
    except Exception as error:  # noqa: BLE001
        _unavailable("set", error)


def set_many(values: dict, timeout) -> None:
    try:
        cache.set_many(values, timeout)
    except Exception as error:  # noqa: BLE001
        _unavailable("set_many", error)


def delete(key: str) -> None:
    try:
        cache.delete(key)
    except Exception as error:  # noqa: BLE001
        _unavailable("delete", error)
