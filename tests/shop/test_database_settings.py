"""The database settings read from the environment: the replica alias, router and
middleware only when DATABASE_REPLICA_URL is set; PgBouncer's transaction pooling turns off
server-side cursors; which views may read from the replica."""

import importlib
import os
from unittest import mock

import pytest

from shop.web.replicas import view_reads_from_replica


def load_settings(**env):
    with mock.patch.dict(os.environ, env, clear=False):
        for name in ("DATABASE_REPLICA_URL", "DATABASE_POOLER", "DISABLE_SERVER_SIDE_CURSORS"):
            if name not in env:
                os.environ.pop(name, None)
        import shop.settings.base as base

        return importlib.reload(base)


@pytest.fixture(autouse=True)
def reload_settings_module_afterwards():
    yield
    load_settings()


def test_no_replica_configured_means_one_database_no_router_no_middleware():
    base = load_settings(DATABASE_URL="postgres://shop@db:5432/shop")
    assert list(base.DATABASES) == ["default"]
    assert base.DATABASE_ROUTERS == []
    assert "shop.web.replicas.ReplicaReadsMiddleware" not in base.MIDDLEWARE
    assert base.DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] is False


def test_a_replica_url_adds_the_alias_the_router_and_the_middleware():
    base = load_settings(DATABASE_URL="postgres://shop@db:5432/shop",
                         DATABASE_REPLICA_URL="postgres://shop@replica:5432/shop")
    replica = base.DATABASES["replica"]
    assert (replica["HOST"], replica["TEST"]["MIRROR"]) == ("replica", "default")
    assert replica["OPTIONS"]["connect_timeout"] == 2
    assert base.DATABASE_ROUTERS == ["shop.web.replicas.PrimaryReplicaRouter"]
    assert base.MIDDLEWARE[-1] == "shop.web.replicas.ReplicaReadsMiddleware"


def test_pgbouncer_turns_off_server_side_cursors_unless_told_otherwise():
    base = load_settings(DATABASE_URL="postgres://shop@pgbouncer:6432/shop",
                         DATABASE_POOLER="pgbouncer", CONN_MAX_AGE="300")
    assert base.DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] is True
    assert base.DATABASES["default"]["CONN_MAX_AGE"] == 300
    base = load_settings(DATABASE_URL="postgres://shop@pgbouncer:6432/shop",
                         DATABASE_POOLER="pgbouncer", DISABLE_SERVER_SIDE_CURSORS="false")
    assert base.DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] is False


@pytest.mark.parametrize(("view_name", "expected"), [
    ("storefront:product", True), ("api:product-list", True), ("dashboard:panel", True),
    ("checkout:review", False), ("api:cart-order", False), ("api:stock-level-list", False),
    ("admin:index", False), ("account:dashboard", False),
])
def test_only_catalog_and_dashboard_views_read_from_the_replica(settings, view_name, expected):
    assert view_reads_from_replica(view_name) is expected
