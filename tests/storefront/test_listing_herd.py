"""A listing nobody has cached yet is computed once: other processes asking meanwhile wait for
it instead of running the same costly query (catalog.listing_cache)."""

import threading

import pytest
from django.core.cache import cache

from catalog import listing_cache


@pytest.fixture(autouse=True)
def empty_cache():
    cache.clear()
    yield
    cache.clear()


def test_a_result_another_process_is_computing_is_waited_for_not_computed(monkeypatch):
    version = listing_cache.catalog_version()
    key = f"catalog:{version}:listing"
    assert cache.add(f"lock:{key}", 1)  # another process claimed it and is computing

    def the_other_process_finishes():
        cache.set(key, "computed elsewhere")

    timer = threading.Timer(0.2, the_other_process_finishes)
    timer.start()
    try:
        calls = []
        value = listing_cache.cached("listing", lambda: calls.append(1) or "computed here",
                                     version=version)
    finally:
        timer.cancel()
    assert value == "computed elsewhere"
    assert calls == []


def test_a_waiter_that_waits_too_long_computes_without_storing(monkeypatch):
    monkeypatch.setattr(listing_cache, "WAIT_SECONDS", 0.1)
    version = listing_cache.catalog_version()
    key = f"catalog:{version}:listing"
    assert cache.add(f"lock:{key}", 1)  # claimed by a process that died
    assert listing_cache.cached("listing", lambda: "computed here",
                                version=version) == "computed here"
    assert cache.get(key) is None  # the claimant may still store it


def test_the_first_to_ask_computes_stores_and_releases_its_claim():
    version = listing_cache.catalog_version()
    key = f"catalog:{version}:listing"
    assert listing_cache.cached("listing", lambda: [1, 2], version=version) == [1, 2]
    assert cache.get(key) == [1, 2]
    assert cache.add(f"lock:{key}", 1)  # released: a later miss can be claimed again
    assert listing_cache.cached("listing", lambda: [3], version=version) == [1, 2]


def test_several_results_mix_cached_claimed_and_waited_for(monkeypatch):
    monkeypatch.setattr(listing_cache, "WAIT_SECONDS", 0.1)
    version = listing_cache.catalog_version()
    cache.set(f"catalog:{version}:cached", "from cache")
    cache.add(f"lock:catalog:{version}:busy", 1)
    found = listing_cache.cached_many({"cached": lambda: "recomputed", "mine": lambda: "mine",
                                       "busy": lambda: "gave up waiting"}, version=version)
    assert found == {"cached": "from cache", "mine": "mine", "busy": "gave up waiting"}
    assert cache.get(f"catalog:{version}:mine") == "mine"
