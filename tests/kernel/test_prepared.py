"""Reads compiled once per process (``kernel.prepared.PreparedRead``) answer exactly what
the querysets they were compiled from answer, with new values each time, and keep the
ORM's rules: a locking read needs a transaction, a value of the wrong shape is refused."""

import uuid
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.db.models import Count, Q
from django.db.models.sql.compiler import SQLCompiler
from django.db.transaction import TransactionManagementError
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from kernel.prepared import NO_MOMENT, NO_UUID, SENTINEL, PreparedRead
from orders.models import Cart, CartLine
from tests.factories import ProductFactory, UserFactory, make_variant

pytestmark = pytest.mark.django_db


def carts(token, user_id):
    return (Cart.objects.select_related("shipping_address", "voucher")
            .annotate(line_count=Count("lines"))
            .filter(Q(user__isnull=True) | Q(user_id=user_id), token=token).order_by("pk"))


CARTS = PreparedRead(carts, sentinels=(NO_UUID, SENTINEL))


def shape(cart):
    return (cart.pk, cart.token, cart.user_id, cart.email, cart.status, cart.created_at,
            cart.line_count, cart.voucher, cart._state.db, cart._state.adding)


def test_model_instances_match_the_orm_with_related_objects_and_annotations():
    user = UserFactory()
    mine = Cart.objects.create(user=user, email="a@example.com")
    guest = Cart.objects.create(email="g@example.com")
    variant = make_variant(ProductFactory(), stock=2)
    CartLine.objects.create(cart=mine, variant=variant, quantity=1)
    for cart, user_id in [(mine, user.pk), (guest, user.pk), (guest, user.pk + 1000)]:
        prepared = CARTS.objects(cart.token, user_id, using="default")
        assert [shape(c) for c in prepared] == [shape(c) for c in carts(cart.token, user_id)]
    assert CARTS.objects(mine.token, user.pk + 1000, using="default") == []  # not the owner
    assert CARTS.first(mine.token, user.pk, using="default").line_count == 1


def test_compiled_once_then_one_query_and_no_compiling():
    cart = Cart.objects.create()
    CARTS.objects(cart.token, 1, using="default")
    compiled = []
    original = SQLCompiler.as_sql

    def counting(self, *args, **kwargs):
        compiled.append(self)
        return original(self, *args, **kwargs)

    SQLCompiler.as_sql = counting
    try:
        with CaptureQueriesContext(connection) as seen:
            for _ in range(3):
                assert CARTS.first(cart.token, 1, using="default").pk == cart.pk
    finally:
        SQLCompiler.as_sql = original
    assert compiled == []
    assert len(seen.captured_queries) == 3


def test_values_given_as_text_are_taken_as_the_orm_takes_them():
    cart = Cart.objects.create(user=UserFactory())
    assert CARTS.first(str(cart.token), str(cart.user_id), using="default").pk == cart.pk
    with pytest.raises(ValueError):
        CARTS.first("not-a-token", 1, using="default")
    with pytest.raises(ValueError):
        CARTS.first(cart.token, "one", using="default")


def test_an_id_no_column_can_hold_finds_nothing_instead_of_failing():
    cart = Cart.objects.create()
    assert CARTS.objects(cart.token, 2 ** 70, using="default") == []
    assert CARTS.objects(cart.token, -(2 ** 70), using="default") == []


@pytest.mark.django_db(transaction=True)  # autocommit, as outside any atomic block
def test_a_locking_read_needs_a_transaction_as_in_the_orm():
    locking = PreparedRead(lambda cart_id: Cart.objects.select_for_update().filter(pk=cart_id))
    cart = Cart.objects.create()
    with pytest.raises(TransactionManagementError):
        locking.objects(cart.pk, using="default")
    with transaction.atomic():
        with CaptureQueriesContext(connection) as seen:
            assert locking.first(cart.pk, using="default").pk == cart.pk
    assert "FOR UPDATE" in seen.captured_queries[-1]["sql"]


def test_a_moment_computed_per_call_is_a_value_too():
    since = PreparedRead(lambda moment: Cart.objects.filter(created_at__gte=moment)
                         .values_list("pk", flat=True), sentinel=NO_MOMENT)
    old = Cart.objects.create()
    Cart.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(hours=2))
    new = Cart.objects.create()
    hour_ago = timezone.now() - timedelta(hours=1)
    assert since.rows(hour_ago, using="default") == [(new.pk,)]
    assert sorted(since.rows(hour_ago - timedelta(hours=2), using="default")) == sorted(
        [(old.pk,), (new.pk,)])


def test_values_lists_answer_tuples_with_the_orms_conversions():
    read = PreparedRead(lambda token: Cart.objects.filter(token=token)
                        .values_list("token", "created_at"), sentinel=NO_UUID)
    cart = Cart.objects.create()
    assert read.rows(cart.token, using="default") == list(
        Cart.objects.filter(pk=cart.pk).values_list("token", "created_at"))
    assert read.rows(uuid.uuid4(), using="default") == []


def test_a_build_that_uses_a_value_twice_is_refused():
    twice = PreparedRead(lambda cart_id: Cart.objects.filter(Q(pk=cart_id) | Q(pk=cart_id)))
    with pytest.raises(ValueError, match="appears 2 times"):
        twice.objects(1, using="default")


def test_objects_of_a_values_read_is_a_mistake():
    read = PreparedRead(lambda cart_id: Cart.objects.filter(pk=cart_id).values_list("pk"))
    with pytest.raises(TypeError, match="model instances"):
        read.objects(1, using="default")
