"""A version number for the catalog, so read-side results that depend only on the catalog
(option facets, price bounds, the category tree, the storefront's listings and product
pages) can be cached and are dropped the moment it changes.

The number lives in the shared cache (Redis in production), so every web process sees a
bump at once. Any save or delete of a category, product, image, option or variant bumps it
after commit (receivers below); services that write with ``QuerySet.update`` call
``catalog_changed()`` themselves, since ``update`` sends no signal. What changes without a
catalog write (stock, a product's rating kept by reviews) must not be read from these
results: the storefront reads it fresh for what a page shows.
"""

import logging
import time

from django.core.cache import cache
from django.db import transaction

from kernel.best_effort_cache import get_many, set_many

logger = logging.getLogger(__name__)

VERSION_KEY = "catalog:version"
# Even if a bump were missed (a raw SQL write), a cached result is never older than this.
CACHE_SECONDS = 300


# A cache that is down costs speed, never a page (kernel.best_effort_cache): the version is
# then UNAVAILABLE and nothing is read from or written to the cache under it.
UNAVAILABLE = 0


def catalog_version() -> int:
    try:
        version = cache.get(VERSION_KEY)
        if version is None:
            cache.add(VERSION_KEY, 1, timeout=None)
            version = cache.get(VERSION_KEY, 1)
        return version
    except Exception as error:  # noqa: BLE001 - any backend's connection error
        logger.warning("Cache unavailable, catalog version unknown: %s", error)
        return UNAVAILABLE


def _bump() -> None:
    try:
        try:
            cache.incr(VERSION_KEY)
        except ValueError:  # the key expired or was evicted: start a new series
            cache.set(VERSION_KEY, catalog_version() + 1, timeout=None)
    except Exception as error:  # noqa: BLE001 - a cache that is down holds nothing stale
        # What it held expires within CACHE_SECONDS of its coming back.
        logger.warning("Cache unavailable, catalog version not bumped: %s", error)


def catalog_changed() -> None:
    """Forget cached catalog reads now and again once the current transaction commits.

    The second bump matters: between the first and the commit, another process may read
    the old rows and cache them under the new version.
    """
    _bump()
    transaction.on_commit(_bump)


def cached(name: str, compute, *, version: int | None = None):
    """``compute()``, cached under the catalog version (the current one unless given)."""
    return cached_many({name: compute}, version=version)[name]


def lookup(name: str, *, version: int) -> tuple[bool, object]:
    """(True, value) when ``name`` is cached under ``version``, else (False, None): for a
    caller that computes a miss differently from how it completes a hit."""
    if version == UNAVAILABLE:
        return False, None
    key = f"catalog:{version}:{name}"
    found = get_many([key])
    return (True, found[key]) if key in found else (False, None)


def store(name: str, value, *, version: int) -> None:
    if version != UNAVAILABLE:
        set_many({f"catalog:{version}:{name}": value}, CACHE_SECONDS)


# A result nobody has cached yet is computed by one process; the others asking for it
# meanwhile wait for it (a first view of a large listing costs a second or more, and N
# processes computing it at once cost N times the database's work). A computation that
# dies holds its claim at most LOCK_SECONDS; a waiter gives up after WAIT_SECONDS and
# computes the result itself, without storing it.
LOCK_SECONDS = 30
WAIT_SECONDS = 5.0
POLL_SECONDS = 0.05


def _claim(key: str) -> bool:
    """True when this process is to compute ``key`` (it is the first to ask)."""
    try:
        return bool(cache.add(f"lock:{key}", 1, timeout=LOCK_SECONDS))
    except Exception as error:  # noqa: BLE001 - a cache that is down: nobody waits
        logger.warning("Cache unavailable, computing %s unclaimed: %s", key, error)
        return True


def _release(keys) -> None:
    try:
        cache.delete_many([f"lock:{key}" for key in keys])
    except Exception as error:  # noqa: BLE001 - the claims then expire by themselves
        logger.warning("Cache unavailable, claims left to expire: %s", error)


def _wait_for(keys: list[str]) -> dict:
    """What of ``keys`` another process stores within WAIT_SECONDS."""
    found: dict = {}
    deadline = time.monotonic() + WAIT_SECONDS
    while len(found) < len(keys) and time.monotonic() < deadline:
        time.sleep(POLL_SECONDS)
        found.update(get_many([key for key in keys if key not in found]))
    return found


def cached_many(computes: dict, *, version: int | None = None) -> dict:
    """``{name: compute()}`` for each name, cached under the catalog version (the current one
    unless given), in one round trip to the cache when all are there.

    A page that reads several cached results passes the version it read once, so it costs
    two round trips, not two per result. A result another process is computing already is
    waited for rather than computed twice (``_claim``).
    """
    version = catalog_version() if version is None else version
    if version == UNAVAILABLE:
        return {name: compute() for name, compute in computes.items()}
    keys = {name: f"catalog:{version}:{name}" for name in computes}
    found = get_many(list(keys.values()))
    missing = [name for name in computes if keys[name] not in found]
    claimed = [name for name in missing if _claim(keys[name])]
    if claimed:
        # Ours first, so two processes never each wait for what the other has claimed.
        computed = {keys[name]: computes[name]() for name in claimed}
        set_many(computed, CACHE_SECONDS)
        _release(computed)
        found.update(computed)
    others = [keys[name] for name in missing if keys[name] not in found]
    if others:
        found.update(_wait_for(others))
    return {name: found[keys[name]] if keys[name] in found else computes[name]()
            for name in computes}


def on_catalog_saved_or_deleted(sender, **kwargs) -> None:
    catalog_changed()
