"""Issue 19: a person's orders and carts are found by their address whatever its letter
case (``email__iexact``: the customer timeline, data requests, the contact form). On
PostgreSQL that is ``UPPER(email) = UPPER(%s)``, which the expression indexes
``order_email_upper`` and ``cart_email_upper`` serve (no scan of every order)."""

import pytest
from django.db import connection

from orders.models import Cart, Order

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


@pytest.mark.parametrize(("model", "index"), [(Order, "order_email_upper"),
                                              (Cart, "cart_email_upper")])
def test_a_case_insensitive_email_lookup_uses_the_upper_email_index(model, index):
    sql, params = model.objects.filter(email__iexact="Ada@Example.com").query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")  # an empty table: make the planner pick
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert index in plan, plan
