"""Funnel tracking: each step counted once per browser per day in the cache, no SQL on the
storefront's path, flushed to DailyFunnel idempotently, harmless when the cache is down."""

from datetime import date
from unittest import mock

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from redis.exceptions import ConnectionError as RedisConnectionError

from shop.dashboard import selectors, tracking
from shop.dashboard.models import DailyFunnel
from shop.dashboard.periods import Period, local_today
from tests.factories import ProductFactory, make_variant

pytestmark = pytest.mark.django_db


@pytest.fixture
def product():
    variant = make_variant(ProductFactory(title="Trail Mug", slug="trail-mug"), sku="TM-1",
                           price="9.00", stock=5)
    return variant


def counters() -> dict:
    return tracking.live_counts([local_today()]).get(local_today(), {})


def test_each_step_counts_once_per_browser_per_day(client, product):
    assert client.get("/p/trail-mug/").status_code == 200
    assert counters() == {"sessions": 1, "product_views": 1}
    assert client.cookies[tracking.COOKIE].value.endswith(".sv")
    client.get("/p/trail-mug/")
    client.get("/")
    assert counters() == {"sessions": 1, "product_views": 1}
    client.post("/cart/add/", {"variant": product.pk, "quantity": "1"})
    client.post("/cart/add/", {"variant": product.pk, "quantity": "1"})
    client.get("/checkout/")
    assert counters() == {"sessions": 1, "product_views": 1, "add_to_carts": 1,
                          "checkouts_started": 1}
    other = type(client)()
    other.get("/")  # a second browser: a second session, nothing else
    assert counters()["sessions"] == 2 and counters()["product_views"] == 1
    # The cookie carries the day and step letters only.
    assert client.cookies[tracking.COOKIE].value == f"{local_today():%Y%m%d}.svac"


def test_admin_api_and_error_pages_are_not_sessions(client, product):
    client.get("/admin/login/")
    client.get("/api/products/")
    client.get("/p/no-such-product/")
    assert counters() == {}


def test_tracking_adds_no_query_to_the_storefront(client, product, settings):
    def queries(path):
        with CaptureQueriesContext(connection) as captured:
            client.get(path)
        return len(captured)

    queries("/p/trail-mug/"), queries("/")  # the catalog's cached reads filled once
    tracked = [queries("/p/trail-mug/"), queries("/")]
    client.cookies.clear()
    settings.MIDDLEWARE = [m for m in settings.MIDDLEWARE if "FunnelMiddleware" not in m]
    assert [queries("/p/trail-mug/"), queries("/")] == tracked


def test_a_cache_that_is_down_loses_counts_not_pages(client, product):
    down = RedisConnectionError("down")
    with mock.patch.object(tracking.cache, "incr", side_effect=down), \
            mock.patch.object(tracking.cache, "get_many", side_effect=down), \
            mock.patch.object(tracking.cache, "get", side_effect=down), \
            mock.patch.object(tracking.cache, "set_many", side_effect=down):
        assert client.get("/p/trail-mug/").status_code == 200
        assert tracking.flush_funnel_counts() == 0


def test_flush_writes_the_counters_and_is_idempotent(client, product):
    client.get("/p/trail-mug/")
    assert tracking.flush_funnel_counts() == 1
    assert tracking.flush_funnel_counts() == 1
    row = DailyFunnel.objects.get(day=local_today())
    assert (row.sessions, row.product_views, row.add_to_carts) == (1, 1, 0)
    # A counter lost with the cache never lowers what was written.
    tracking.cache.clear()
    tracking.flush_funnel_counts()
    row.refresh_from_db()
    assert row.sessions == 1


def test_the_funnel_panel_reads_counters_not_yet_flushed(client, product):
    client.get("/p/trail-mug/")
    today = local_today()
    panel = selectors.funnel_panel(Period(today, today))
    values = {kpi.key: kpi.value for kpi in panel.kpis}
    assert values["sessions"] == 1 and values["product_views"] == 1
    assert not DailyFunnel.objects.exists()


def test_flush_task_is_on_the_beat_schedule(settings):
    tasks = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert {"shop.dashboard.tasks.flush_funnel_counts",
            "shop.dashboard.tasks.rebuild_kpi_rollups"} <= tasks


def test_old_days_are_not_read_from_the_cache():
    assert tracking.live_counts([date(2020, 1, 1)]) == {}
