"""The shop behind PgBouncer in transaction pooling mode (started by tests/pgcluster.py in
front of the test database's server): the key concurrency races and a whole checkout run
through it, each thread on its own client connection that PgBouncer multiplexes over a few
server connections, so anything tied to one server session (an advisory lock held across
transactions, a session-level SET, a server-side cursor outside a transaction) would break.

The whole suite can run this way too: ``pytest --pgbouncer`` (or TEST_PGBOUNCER=1).
"""

import re
from pathlib import Path

import pytest
from django.db import connection
from django.urls import reverse

from tests.checkout.flow import placed_order
from tests.factories import ProductFactory, make_shipping, make_variant
from tests.orders.test_concurrency import (  # noqa: F401 - collected again, here via PgBouncer
    test_double_submit_from_five_threads_gives_one_order,
    test_forty_buyers_for_the_last_ten_units,
    test_paying_one_order_from_two_tabs_charges_once,
    test_two_skus_bought_in_opposite_orders_never_deadlock,
)
from tests.pgcluster import through_pgbouncer

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]
CODE = ["kernel", "catalog", "inventory", "orders", "payments", "fulfillment", "returns", "shop"]
# Session state PgBouncer's transaction mode cannot keep: a lock or setting outliving its
# transaction, a cursor declared WITH HOLD, a prepared statement, LISTEN.
SESSION_STATE = [
    re.compile(r"pg_(try_)?advisory_lock(_shared)?\(|set_config\([^)]*,\s*false\s*\)",
               re.IGNORECASE),
    # SQL keywords in a string literal (upper case, as the code writes SQL).
    re.compile(r"[\"']\s*(SET\s+(SESSION\s+)?(?!LOCAL\b)\w+\s*(=|TO\b)|PREPARE\s+\w+"
               r"|LISTEN\s|DECLARE\s.*\sWITH\s+HOLD)"),
]


@pytest.fixture(scope="module", autouse=True)
def pgbouncer(django_db_setup, django_db_blocker):
    with through_pgbouncer() as bouncer:
        yield bouncer


def test_connections_go_through_pgbouncer_without_server_side_cursors(pgbouncer):
    assert connection.settings_dict["PORT"] == str(pgbouncer.port)
    assert connection.settings_dict["DISABLE_SERVER_SIDE_CURSORS"] is True
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        assert cursor.fetchone() == (1,)


def test_an_http_checkout_through_pgbouncer(client):
    variant = make_variant(ProductFactory(title="Pooled Pan"), price="30.00", stock=3)
    order = placed_order(client, variant, make_shipping())
    assert client.get(reverse("checkout:pay", args=[order.token])).status_code == 200
    assert order.lines.get().quantity == 1


def test_no_code_keeps_session_state_between_transactions():
    offenders = []
    for package in CODE:
        for path in (ROOT / package).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            for number, line in enumerate(path.read_text().splitlines(), 1):
                if any(pattern.search(line) for pattern in SESSION_STATE):
                    offenders.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert offenders == [], "session state that PgBouncer's transaction mode loses:\n" + \
        "\n".join(offenders)
