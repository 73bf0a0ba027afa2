"""Concurrency on PostgreSQL with real threads, each its own connection: the last units go
to exactly as many buyers as there are units, with no deadlock and nothing half-written."""

from collections import Counter
from decimal import Decimal
from functools import partial

import pytest
from django.db.models import Sum

from inventory.models import StockLevel
from inventory.services import receive_stock
from kernel.errors import ShopError
from orders import services
from orders.exceptions import OutOfStock, VoucherInvalid
from orders.models import Allocation, Cart, Order, Voucher, VoucherUse
from payments import services as payment_services
from payments.exceptions import PaymentError
from payments.models import Payment
from tests.concurrency import raised, results, run_concurrently
from tests.factories import (
    ProductFactory,
    WarehouseFactory,
    make_shipping,
    make_variant,
    ready_cart,
)

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
CARD = {"number": "4242424242424242", "exp_month": "12", "exp_year": "2030", "cvc": "123"}


def race(work, inputs):
    """Run ``work(item)`` for every input in its own thread, all released at once.
    Returns (results, refusals); anything other than a domain refusal fails the test."""
    outcomes = run_concurrently(*[partial(work, item) for item in inputs], timeout=120)
    crashes = [o.error for o in outcomes
               if o.error is not None and not isinstance(o.error, ShopError)]
    assert not crashes, f"unexpected errors: {crashes!r}"
    return results(outcomes), raised(outcomes, ShopError)


def assert_stock_consistent(*variants):
    for level in StockLevel.objects.filter(variant__in=variants):
        assert 0 <= level.allocated <= level.on_hand
        allocated = Allocation.objects.filter(stock_level=level).aggregate(
            total=Sum("quantity"))["total"] or 0
        assert allocated == level.allocated


def carts_for(count, variants, method):
    return [ready_cart(variants=variants, email=f"buyer{i}@example.com", method=method)
            for i in range(count)]


def test_forty_buyers_for_the_last_ten_units():
    variant = make_variant(ProductFactory(title="Last Lamp"), price="50.00", stock=10)
    carts = carts_for(40, {variant: 1}, make_shipping())
    orders, refused = race(lambda cart: services.place_order(cart=cart), carts)
    assert len(orders) == 10 and len(refused) == 30
    assert all(isinstance(error, OutOfStock) and "sold out" in error.message for error in refused)
    assert Order.objects.count() == 10
    assert StockLevel.objects.get(variant=variant).allocated == 10
    assert_stock_consistent(variant)
    assert Cart.objects.filter(status=Cart.Status.ORDERED).count() == 10


def test_last_units_split_across_two_warehouses():
    east = WarehouseFactory(code="east", priority=1)
    west = WarehouseFactory(code="west", priority=2)
    variant = make_variant(ProductFactory(), stock=6, warehouse=east)
    receive_stock(variant=variant, warehouse=west, quantity=4)
    carts = carts_for(40, {variant: 1}, make_shipping())
    orders, refused = race(lambda cart: services.place_order(cart=cart), carts)
    assert len(orders) == 10 and len(refused) == 30
    levels = {lv.warehouse.code: lv for lv in StockLevel.objects.filter(variant=variant)}
    assert (levels["east"].allocated, levels["west"].allocated) == (6, 4)
    assert_stock_consistent(variant)


def test_two_skus_bought_in_opposite_orders_never_deadlock():
    a = make_variant(ProductFactory(title="Alpha"), stock=12)
    b = make_variant(ProductFactory(title="Beta"), stock=12)
    method = make_shipping()
    carts = []
    for i in range(40):
        first, second = (a, b) if i % 2 else (b, a)  # lines added in opposite orders
        carts.append(ready_cart(variants={first: 1, second: 1}, email=f"p{i}@example.com",
                                method=method))
    orders, refused = race(lambda cart: services.place_order(cart=cart), carts)
    assert len(orders) == 12 and len(refused) == 28
    for order in Order.objects.all():
        lines = list(order.lines.all())
        assert len(lines) == 2
        assert all(line.allocations.aggregate(t=Sum("quantity"))["t"] == 1 for line in lines)
    assert_stock_consistent(a, b)


def test_double_submit_from_five_threads_gives_one_order():
    variant = make_variant(ProductFactory(), stock=5)
    cart = ready_cart(variants={variant: 2})
    orders, refused = race(lambda _: services.place_order(cart=cart), range(5))
    assert refused == []
    assert len({order.pk for order in orders}) == 1
    assert Order.objects.count() == 1
    assert StockLevel.objects.get(variant=variant).allocated == 2


def test_voucher_total_limit_holds_under_a_rush():
    Voucher.objects.create(code="RUSH", kind="fixed", value=Decimal("5"), usage_limit=5)
    variant = make_variant(ProductFactory(), price="20.00", stock=100)
    carts = [ready_cart(variants={variant: 1}, email=f"v{i}@example.com", voucher="RUSH")
             for i in range(20)]
    orders, refused = race(lambda cart: services.place_order(cart=cart), carts)
    assert len(orders) == 5
    assert all(isinstance(e, VoucherInvalid) and "fully used" in e.message for e in refused)
    voucher = Voucher.objects.get()
    assert voucher.used_count == 5 == VoucherUse.objects.count()
    assert StockLevel.objects.get(variant=variant).allocated == 5  # refused orders rolled back


def test_voucher_per_customer_limit_holds_under_a_rush():
    Voucher.objects.create(code="ONCE", kind="percentage", value=Decimal("10"),
                           per_customer_limit=1)
    variant = make_variant(ProductFactory(), price="20.00", stock=100)
    carts = [ready_cart(variants={variant: 1}, email="same@example.com", voucher="ONCE")
             for _ in range(5)]
    orders, refused = race(lambda cart: services.place_order(cart=cart), carts)
    assert len(orders) == 1 and len(refused) == 4
    assert VoucherUse.objects.count() == 1


def test_paying_one_order_from_two_tabs_charges_once():
    variant = make_variant(ProductFactory(), stock=5)
    order = services.place_order(cart=ready_cart(variants={variant: 1}))
    payments, refused = race(
        lambda _: payment_services.start_payment(order=order, payment_data=CARD), range(2))
    assert len(payments) == 1 and len(refused) == 1
    assert isinstance(refused[0], PaymentError)
    assert Counter(Payment.objects.values_list("state", flat=True))["captured"] == 1
    order.refresh_from_db()
    assert order.payment_status == Order.PaymentStatus.PAID


def test_forty_http_clients_for_the_last_ten_units(live_server):
    """The same race through the REST API of a running server: 10 × 201, 30 × 409, no 5xx."""
    import requests

    from tests.factories import ADDRESS

    variant = make_variant(ProductFactory(title="Hot Item"), price="25.00", stock=10)
    method = make_shipping()
    base = live_server.url + "/api"

    def prepare(i):
        session = requests.Session()
        token = session.post(f"{base}/carts/", timeout=30).json()["token"]
        for url, body in [
            (f"{base}/carts/{token}/lines/", {"variant_id": variant.pk, "quantity": 1}),
        ]:
            assert session.post(url, json=body, timeout=30).status_code == 201
        for url, body in [
            (f"{base}/carts/{token}/email/", {"email": f"http{i}@example.com"}),
            (f"{base}/carts/{token}/shipping-address/", ADDRESS),
            (f"{base}/carts/{token}/shipping-method/", {"shipping_method_id": method.pk}),
        ]:
            assert session.put(url, json=body, timeout=30).status_code == 200
        return session, token

    clients = [prepare(i) for i in range(40)]
    statuses, _ = race(lambda client: client[0].post(f"{base}/carts/{client[1]}/order/",
                                                     json={"total": "0.01"},
                                                     timeout=60).status_code, clients)
    counts = Counter(statuses)
    assert counts == {201: 10, 409: 30}, counts
    assert Order.objects.count() == 10
    assert_stock_consistent(variant)
