"""A version number for the catalog, so read-side results that depend only on the catalog
(option facets, price bounds) can be cached and are dropped the moment it changes.

The number lives in the shared cache (Redis in production), so every web process sees a
bump at once. Any save or delete of a category, product, option or variant bumps it after
commit (receivers below); services that write with ``QuerySet.update`` call
``catalog_changed()`` themselves, since ``update`` sends no signal.
"""

from django.core.cache import cache
from django.db import transaction

VERSION_KEY = "catalog:version"
# Even if a bump were missed (a raw SQL write), a cached result is never older than this.
CACHE_SECONDS = 300


def catalog_version() -> int:
    version = cache.get(VERSION_KEY)
    if version is None:
        cache.add(VERSION_KEY, 1, timeout=None)
        version = cache.get(VERSION_KEY, 1)
    return version


def _bump() -> None:
    try:
        cache.incr(VERSION_KEY)
    except ValueError:  # the key expired or was evicted: start a new series
        cache.set(VERSION_KEY, catalog_version() + 1, timeout=None)


def catalog_changed() -> None:
    """Forget cached catalog reads now and again once the current transaction commits.

    The second bump matters: between the first and the commit, another process may read
    the old rows and cache them under the new version.
    """
    _bump()
    transaction.on_commit(_bump)


def cached(name: str, compute):
    """``compute()``, cached under the current catalog version."""
    key = f"catalog:{catalog_version()}:{name}"
    value = cache.get(key)
    if value is None:
        value = compute()
        cache.set(key, value, CACHE_SECONDS)
    return value


def on_catalog_saved_or_deleted(sender, **kwargs) -> None:
    catalog_changed()
