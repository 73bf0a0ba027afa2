import io
import os

import pytest
from django.db import connection
from PIL import Image

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def pytest_configure(config):
    from tests.live_server import install

    install()


def pytest_addoption(parser):
    parser.addoption("--pgbouncer", action="store_true",
                     help="run every database connection through PgBouncer in transaction "
                          "pooling mode, started in front of DATABASE_URL's server "
                          "(also TEST_PGBOUNCER=1)")


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, request):
    """With --pgbouncer: the test database is created directly, then every connection goes
    through PgBouncer (tests/pgcluster.py), so nothing may rely on session state."""
    from tests.pgcluster import pgbouncer_requested, through_pgbouncer

    if not pgbouncer_requested(request.config):
        yield
        return
    with through_pgbouncer():
        yield


def pytest_collection_modifyitems(config, items):
    """Tests marked ``postgres`` need PostgreSQL: skip with a reason outside CI, fail in CI.

    (shop.settings.test already refuses to start in CI without PostgreSQL.)
    """
    if connection.vendor == "postgresql":
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL (set DATABASE_URL; CI always has it)")
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def empty_cache():
    """Each test starts with an empty cache (cached catalog reads are keyed by primary keys,
    which SQLite reuses after a rolled-back test)."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def png_bytes():
    def make(width: int = 640, height: int = 480, color: str = "#3b82f6") -> bytes:
        buffer = io.BytesIO()
        Image.new("RGB", (width, height), color).save(buffer, format="PNG")
        return buffer.getvalue()

    return make


@pytest.fixture
def staff_roles(db):
    """The staff groups the migration creates. Transactional tests flush the database
    afterwards, data migrations' rows included, so tests that need the groups ask for them."""
    from django.apps import apps
    from django.contrib.auth.management import create_permissions
    from django.contrib.auth.models import Group, Permission
    from django.contrib.contenttypes.management import create_contenttypes
    from django.contrib.contenttypes.models import ContentType

    from customers.roles import sync_customer_roles
    from fulfillment.roles import sync_roles
    from privacy.roles import sync_privacy_roles
    from returns.roles import sync_return_roles
    from reviews.roles import sync_review_roles
    from shop.moneycheck.roles import sync_moneycheck_roles
    from shop.webhooks.roles import sync_webhook_roles

    ContentType.objects.clear_cache()  # ids cached before a flush are stale
    for app_config in apps.get_app_configs():  # a flush can leave them missing too
        create_contenttypes(app_config, verbosity=0)
        create_permissions(app_config, verbosity=0)
    sync_roles(Group, Permission)
    sync_return_roles(Group, Permission)
    sync_webhook_roles(Group, Permission)
    sync_moneycheck_roles(Group, Permission)
    sync_review_roles(Group, Permission)
    sync_customer_roles(Group, Permission)
    sync_privacy_roles(Group, Permission)
