"""A small known shop history for the dashboards, in America/New_York, built through the
services (orders placed, paid, split-shipped, delivered, returned and refunded, one
canceled, one never paid), then moved to fixed dates.

The period under test is 1-7 March 2025; the previous period 22-28 February 2025.

    order  customer  placed (UTC)        local day  lines                 notes
    A      alice     2025-03-02 15:00    03-02      2 SHIRT-M + 1 MUG     split: east ships in 24 h
                                                                          (in time), west in 72 h
                                                                          (late); 1 shirt returned
                                                                          and refunded 44.00
    B      bob*      2025-03-08 03:30    03-07      1 MUG, 10% voucher    evening in New York
    C      alice     2025-03-04 12:00    03-04      1 SHIRT-M             paid, then canceled
    D      carol     2025-02-25 12:00    02-25      1 SHIRT-M             shipped in 23 h 55 m
    E      dave*     2025-03-01 04:00    02-28      1 MUG                 still 28 Feb in New York
    F      alice     2025-03-06 12:00    03-06      1 MUG
    H      carol     2025-03-03 12:00    03-03      1 MUG                 carol returns
    G      erin*     2025-03-05 12:00    03-05      1 MUG                 never paid
    (* guest)
"""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from catalog.models import Variant
from fulfillment import services as fulfillment_services
from fulfillment.carriers import TrackingUpdate
from fulfillment.models import Shipment
from orders import services as order_services
from orders.models import Order, OrderEvent, TaxRate, Voucher
from payments import services as payment_services
from returns import services as return_services
from returns.models import ReturnRequest
from returns.services import Inspection, RequestedLine
from tests.factories import (
    CategoryFactory,
    ProductFactory,
    UserFactory,
    WarehouseFactory,
    make_shipping,
    make_variant,
    ready_cart,
)
from tests.fulfillment.test_shipments import to_shipped

CARD = {"number": "4242424242424242", "exp_month": "12", "exp_year": "2030", "cvc": "123"}
PERIOD = (date(2025, 3, 1), date(2025, 3, 7))


def utc(*parts) -> datetime:
    return datetime(*parts, tzinfo=UTC)


@pytest.fixture
def new_york(settings):
    settings.SHOP_TIME_ZONE = "America/New_York"


@pytest.fixture
def merchant_roles(staff_roles):
    from django.contrib.auth.models import Group, Permission

    from shop.dashboard.roles import sync_dashboard_roles

    sync_dashboard_roles(Group, Permission)


def _pay(order):
    payment_services.start_payment(order=order, payment_data=CARD)
    fulfillment_services.create_shipments(order_id=order.pk)  # idempotent
    order.refresh_from_db()
    return order


def _deliver(shipment, at: datetime):
    fulfillment_services.record_tracking(shipment_id=shipment.pk, update=TrackingUpdate(
        event_id=f"delivered-{shipment.pk}", status=Shipment.State.DELIVERED,
        occurred_at=at, description="Front door"))


def _move_order(order, placed: datetime, *, paid: bool = True, **extra):
    fields = {"placed_at": placed, **extra}
    if paid:
        fields["paid_at"] = placed + timedelta(minutes=5)
    Order.objects.filter(pk=order.pk).update(**fields)
    Shipment.objects.filter(order=order).update(
        promised_ship_by=placed + timedelta(minutes=5, hours=48))


def _ship(shipment, shipped: datetime, delivered: datetime | None = None, *, move=True):
    to_shipped(shipment)
    if delivered:
        _deliver(shipment, timezone.now())
    if move:
        _move_shipment(shipment, shipped, delivered)


def _move_shipment(shipment, shipped: datetime, delivered: datetime | None = None):
    Shipment.objects.filter(pk=shipment.pk).update(shipped_at=shipped, delivered_at=delivered)


@pytest.fixture
def history(db, new_york):
    east = WarehouseFactory(code="east", name="East DC", priority=1)
    west = WarehouseFactory(code="west", name="West DC", priority=2)
    apparel = CategoryFactory(name="Apparel", slug="apparel")
    kitchen = CategoryFactory(name="Kitchen", slug="kitchen")
    shirt = make_variant(ProductFactory(title="Linen Shirt", category=apparel), price="40.00",
                         sku="SHIRT-M", options={"Size": "M"}, stock=10, warehouse=east)
    large = make_variant(shirt.product, price="40.00", sku="SHIRT-L", options={"Size": "L"})
    mug = make_variant(ProductFactory(title="Stoneware Mug", category=kitchen), price="12.50",
                       sku="MUG", stock=10, warehouse=west)
    lamp = make_variant(ProductFactory(title="Brass Lamp", category=kitchen), price="30.00",
                        sku="LAMP", stock=4, warehouse=east)
    Variant.objects.filter(pk=shirt.pk).update(cost_price=Decimal("15.00"))
    Variant.objects.filter(pk=mug.pk).update(cost_price=Decimal("5.00"))
    Variant.objects.filter(pk=lamp.pk).update(cost_price=Decimal("20.00"))
    TaxRate.objects.create(country="US", rate=Decimal("10"))
    Voucher.objects.create(code="TENOFF", kind=Voucher.Kind.PERCENTAGE, value=Decimal("10"))
    method = make_shipping(price="5.00")
    alice = UserFactory(username="alice", email="alice@example.com")
    carol = UserFactory(username="carol", email="carol@example.com")

    def place(variants, *, user=None, email=None, voucher=None):
        email = email or user.email
        cart = ready_cart(variants=variants, email=email, user=user, method=method,
                          voucher=voucher)
        return order_services.place_order(cart=cart, user=user)

    orders = {}
    # D: previous period, shipped the next day.
    orders["D"] = _pay(place({shirt: 1}, user=carol))
    _move_order(orders["D"], utc(2025, 2, 25, 12, 0))
    _ship(Shipment.objects.get(order=orders["D"]), utc(2025, 2, 26, 12, 0))
    # E: 23:00 on 28 February in New York, 04:00 on 1 March in UTC. Never shipped.
    orders["E"] = _pay(place({mug: 1}, email="dave@example.com"))
    _move_order(orders["E"], utc(2025, 3, 1, 4, 0))
    # A: split over two warehouses; delivered; one shirt back and refunded.
    orders["A"] = _pay(place({shirt: 2, mug: 1}, user=alice))
    _move_order(orders["A"], utc(2025, 3, 2, 15, 0), delivery_latest=date(2025, 3, 6))
    east_box = Shipment.objects.get(order=orders["A"], warehouse=east)
    west_box = Shipment.objects.get(order=orders["A"], warehouse=west)
    _ship(east_box, utc(2025, 3, 3, 15, 5), utc(2025, 3, 5, 12, 0), move=False)
    _ship(west_box, utc(2025, 3, 5, 16, 5), utc(2025, 3, 7, 14, 0), move=False)
    shirt_line = orders["A"].lines.get(sku="SHIRT-M")
    rma = return_services.request_return(
        order_id=orders["A"].pk, resolution="refund",
        lines=[RequestedLine(order_line_id=shirt_line.pk, quantity=1, reason="wrong_size")])
    return_services.approve_return(return_id=rma.pk)
    return_services.receive_return(return_id=rma.pk)
    return_services.inspect_return(return_id=rma.pk, inspections=[
        Inspection(return_line_id=line.pk, condition="resellable", restock=True)
        for line in rma.lines.all()])
    return_services.refund_return(return_id=rma.pk)
    rma.refresh_from_db()
    assert rma.state == ReturnRequest.State.REFUNDED and rma.refunded_amount == Decimal("44.00")
    ReturnRequest.objects.filter(pk=rma.pk).update(created_at=utc(2025, 3, 6, 10, 0),
                                                   closed_at=utc(2025, 3, 6, 18, 0))
    OrderEvent.objects.filter(order=orders["A"], type=OrderEvent.Type.REFUNDED).update(
        created_at=utc(2025, 3, 6, 18, 0))
    _move_shipment(east_box, utc(2025, 3, 3, 15, 5), utc(2025, 3, 5, 12, 0))
    _move_shipment(west_box, utc(2025, 3, 5, 16, 5), utc(2025, 3, 7, 14, 0))
    # C: paid, then canceled and refunded in full: left out everywhere.
    orders["C"] = _pay(place({shirt: 1}, user=alice))
    payment_services.cancel_and_settle(order=orders["C"], reason="Changed their mind")
    _move_order(orders["C"], utc(2025, 3, 4, 12, 0))
    OrderEvent.objects.filter(order=orders["C"], type=OrderEvent.Type.REFUNDED).update(
        created_at=utc(2025, 3, 4, 13, 0))
    # H, F: carol comes back; alice orders again.
    orders["H"] = _pay(place({mug: 1}, user=carol))
    _move_order(orders["H"], utc(2025, 3, 3, 12, 0))
    orders["F"] = _pay(place({mug: 1}, user=alice))
    _move_order(orders["F"], utc(2025, 3, 6, 12, 0))
    # B: a guest with a voucher, at 22:30 on 7 March in New York.
    orders["B"] = _pay(place({mug: 1}, email="bob@example.com", voucher="TENOFF"))
    _move_order(orders["B"], utc(2025, 3, 8, 3, 30))
    # G: never paid.
    orders["G"] = place({mug: 1}, email="erin@example.com")
    _move_order(orders["G"], utc(2025, 3, 5, 12, 0), paid=False)
    for order in orders.values():
        order.refresh_from_db()
    return {"orders": orders, "shirt": shirt, "large": large, "mug": mug, "lamp": lamp,
            "east_box": east_box, "west_box": west_box, "rma": rma}


@pytest.fixture
def period():
    from shop.dashboard.periods import Period

    return Period(*PERIOD)


@pytest.fixture
def rebuilt(history):
    from shop.dashboard import rollups

    rollups.rebuild_rollups()
    return history


def now_is(moment: datetime):
    """Patch 'now' for the dashboards (the late list and presets read it)."""
    from unittest import mock

    return mock.patch.object(timezone, "now", return_value=moment)
