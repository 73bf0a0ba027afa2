"""The read replica for real: a primary and its streaming replica started for this module
(initdb / pg_basebackup -R, tests/pgcluster.py), the shop's ``default`` alias on the
primary and ``replica`` on the replica, the router and middleware installed as
DATABASE_REPLICA_URL installs them.

Catalog pages read from the replica (a product published on the primary shows once the
replica has replayed it), a visitor who has just written reads from the primary, checkout
never reads from the replica, and a lagging or stopped replica leaves every page working.
"""

from __future__ import annotations

import time

import psycopg2
import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.db import connections
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from catalog.models import Product
from orders.models import Cart
from shop.web import replicas
from tests.checkout.flow import fill_checkout
from tests.factories import ProductFactory, UserFactory, make_shipping, make_variant
from tests.pgcluster import pointed_at, primary_and_replica

pytestmark = pytest.mark.postgres

DB_NAME = "shop"


def sql(port: int, statement: str, dbname: str = DB_NAME):
    conn = psycopg2.connect(host="127.0.0.1", port=port, user="postgres", dbname=dbname)
    conn.autocommit = True
    try:
        with conn.cursor() as cursor:
            cursor.execute(statement)
            return cursor.fetchall() if cursor.description else None
    finally:
        conn.close()


def pause_replay(replica) -> None:
    """Stop applying WAL on the replica (it still receives it): it lags from now on."""
    sql(replica.port, "SELECT pg_wal_replay_pause()")
    deadline = time.monotonic() + 5
    while sql(replica.port, "SELECT pg_get_wal_replay_pause_state()")[0][0] != "paused":
        assert time.monotonic() < deadline, "the replica did not pause its replay"
        time.sleep(0.02)


def wait_for_replica(clusters, timeout: float = 15) -> None:
    """Until the replica has replayed everything committed on the primary so far."""
    primary, replica = clusters
    target = sql(primary.port, "SELECT pg_current_wal_insert_lsn()")[0][0]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if sql(replica.port, f"SELECT pg_last_wal_replay_lsn() >= '{target}'")[0][0]:  # nosec B608
            return
        time.sleep(0.05)
    raise AssertionError(f"the replica had not replayed up to {target} after {timeout}s")


@pytest.fixture(scope="module")
def clusters(django_db_blocker):
    """The shop migrated on its own primary, with a streaming replica: (primary, replica)."""
    from django.conf import settings

    if connections["default"].vendor != "postgresql":
        pytest.skip("needs PostgreSQL (set DATABASE_URL; CI always has it)")
    with primary_and_replica() as (primary, replica):
        sql(primary.port, f"CREATE DATABASE {DB_NAME}", dbname="postgres")
        default = connections.settings["default"]
        with django_db_blocker.unblock(), pointed_at(
                default, HOST="127.0.0.1", PORT=str(primary.port), NAME=DB_NAME,
                USER="postgres", PASSWORD=""):
            call_command("migrate", database="default", verbosity=0, interactive=False)
            connections.settings["replica"] = {
                **default, "PORT": str(replica.port),
                "OPTIONS": {**default["OPTIONS"], "connect_timeout": 2},
                "TEST": {**default["TEST"], "MIRROR": "default"}}
            try:
                with override_settings(
                        DATABASE_ROUTERS=["shop.web.replicas.PrimaryReplicaRouter"],
                        MIDDLEWARE=[*settings.MIDDLEWARE,
                                    "shop.web.replicas.ReplicaReadsMiddleware"],
                        SHOP_REPLICA_CHECK_SECONDS=0):
                    yield primary, replica
            finally:
                connections["replica"].close()
                del connections["replica"]
                del connections.settings["replica"]


@pytest.fixture(autouse=True)
def fresh(clusters):
    replicas.forget_replica_health()
    cache.clear()
    yield
    if (clusters[1].data / "postmaster.pid").exists():
        sql(clusters[1].port, "SELECT pg_wal_replay_resume()")


def published(title: str, *, stock: int = 5) -> tuple[Product, object]:
    product = ProductFactory(title=title)
    return product, make_variant(product, price="20.00", stock=stock)


def place(client):
    """Place this module's latest cart (earlier tests leave theirs open)."""
    cart = Cart.objects.filter(status=Cart.Status.OPEN).latest("pk")
    return client.post(reverse("checkout:review"), {"checkout_token": str(cart.token)})


def catalog_queries(captured) -> list[str]:
    return [q["sql"] for q in captured.captured_queries if "catalog_product" in q["sql"]]


def test_a_product_published_on_the_primary_shows_once_the_replica_catches_up(clusters):
    primary, replica = clusters
    pause_replay(replica)
    product, variant = published("Replica Lantern")
    url = reverse("storefront:product", args=[product.slug])

    with CaptureQueriesContext(connections["replica"]) as on_replica:
        assert Client().get(url).status_code == 404  # not replayed yet
    assert catalog_queries(on_replica), "the product page did not read from the replica"

    # A visitor who has just written (added to the cart) reads from the primary.
    writer = Client()
    added = writer.post(reverse("checkout:add"), {"variant": variant.pk, "quantity": 1})
    assert replicas.COOKIE in added.cookies
    cache.clear()
    assert writer.get(url).status_code == 200

    sql(replica.port, "SELECT pg_wal_replay_resume()")
    wait_for_replica(clusters)
    cache.clear()
    with CaptureQueriesContext(connections["replica"]) as on_replica:
        page = Client().get(url)
        listing = Client().get(reverse("api:product-list"))
    assert page.status_code == 200 and "Replica Lantern" in page.content.decode()
    assert listing.status_code == 200 and "Replica Lantern" in listing.content.decode()
    assert len(catalog_queries(on_replica)) >= 2


def test_read_your_writes_ends_after_the_configured_time(clusters, settings):
    settings.SHOP_READ_YOUR_WRITES_SECONDS = 1
    product, _variant = published("Stamp Kettle")
    wait_for_replica(clusters)
    client = Client()
    client.cookies[replicas.COOKIE] = str(int(time.time()) - 2)  # wrote 2s ago
    with CaptureQueriesContext(connections["replica"]) as on_replica:
        assert client.get(reverse("storefront:product", args=[product.slug])).status_code == 200
    assert catalog_queries(on_replica)


def test_checkout_never_reads_from_the_replica(clusters):
    product, variant = published("Checkout Mug")
    method = make_shipping()
    wait_for_replica(clusters)
    client = Client()
    with CaptureQueriesContext(connections["replica"]) as on_replica:
        assert client.get(reverse("storefront:product", args=[product.slug])).status_code == 200
        browsing = len(on_replica.captured_queries)
        assert browsing, "the product page did not read from the replica"

        client.post(reverse("checkout:add"), {"variant": variant.pk, "quantity": 1})
        fill_checkout(client, method)
        client.cookies.pop(replicas.COOKIE, None)  # no read-your-writes: the views decide
        assert client.get(reverse("checkout:review")).status_code == 200
        response = place(client)
        assert response.status_code == 302
        client.cookies.pop(replicas.COOKIE, None)
        assert client.get(response["Location"]).status_code == 200  # the payment page
    assert on_replica.captured_queries[browsing:] == []


def test_the_dashboards_read_from_the_replica(clusters):
    merchant = UserFactory(username="replica-merchant", is_staff=True, is_superuser=True)
    wait_for_replica(clusters)
    client = Client()
    client.force_login(merchant)
    with CaptureQueriesContext(connections["replica"]) as on_replica:
        assert client.get(reverse("dashboard:index")).status_code == 200
    assert any("dashboard_" in q["sql"] or "orders_" in q["sql"]
               for q in on_replica.captured_queries)


def test_a_replica_further_behind_than_the_limit_is_not_read(clusters, settings):
    settings.SHOP_REPLICA_MAX_LAG_SECONDS = 0.5
    pause_replay(clusters[1])
    product, _variant = published("Lagging Lamp")
    time.sleep(1)
    page = Client().get(reverse("storefront:product", args=[product.slug]))
    assert page.status_code == 200 and "Lagging Lamp" in page.content.decode()


def test_a_stopped_replica_leaves_the_shop_working(clusters, settings):
    """Last in the module: it stops the replica."""
    primary, replica = clusters
    product, variant = published("Outage Tent")
    method = make_shipping()
    wait_for_replica(clusters)
    replica.stop()
    product_url = reverse("storefront:product", args=[product.slug])

    # Mid-request: the process still believes the replica is up; the view runs again on
    # the primary.
    settings.SHOP_REPLICA_CHECK_SECONDS = 3600
    replicas._health.checked_at = time.monotonic()
    page = Client().get(product_url)
    assert page.status_code == 200 and "Outage Tent" in page.content.decode()
    assert not replicas.replica_usable()

    # Checked before use: every page and the checkout work on the primary alone.
    replicas.forget_replica_health()
    settings.SHOP_REPLICA_CHECK_SECONDS = 0
    client = Client()
    for url in [reverse("storefront:home"), product_url, reverse("storefront:search") + "?q=tent",
                reverse("api:product-list")]:
        cache.clear()
        response = client.get(url)
        assert response.status_code == 200, url
    client.post(reverse("checkout:add"), {"variant": variant.pk, "quantity": 1})
    fill_checkout(client, method)
    assert place(client).status_code == 302
