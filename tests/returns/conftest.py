"""A delivered order to return: a shirt in two sizes and a mug, paid with the offline
gateway, shipped from one warehouse and delivered, all through the services."""

from datetime import timedelta

import pytest
from django.utils import timezone

from fulfillment import services as fulfillment_services
from fulfillment.carriers import TrackingUpdate
from fulfillment.models import Shipment
from orders import services as order_services
from payments import services as payment_services
from returns.services import Inspection, RequestedLine
from tests.factories import ProductFactory, UserFactory, WarehouseFactory, make_variant, ready_cart
from tests.fulfillment.test_shipments import to_shipped

CARD = {"number": "4242424242424242", "exp_month": "12", "exp_year": "2030", "cvc": "123"}


@pytest.fixture
def warehouse():
    return WarehouseFactory(code="east", name="East DC", priority=1, city="Newark")


@pytest.fixture
def catalog(warehouse):
    shirt = ProductFactory(title="Linen Shirt")
    medium = make_variant(shirt, price="40.00", sku="SHIRT-M", options={"Size": "M"}, stock=10,
                          warehouse=warehouse)
    large = make_variant(shirt, price="40.00", sku="SHIRT-L", options={"Size": "L"}, stock=3,
                         warehouse=warehouse)
    mug = make_variant(ProductFactory(title="Stoneware Mug"), price="12.50", sku="MUG",
                       stock=10, warehouse=warehouse)
    return {"medium": medium, "large": large, "mug": mug, "shirt": shirt}


def deliver(order, *, days_ago: int = 1):
    for shipment in Shipment.objects.filter(order=order).order_by("pk"):
        to_shipped(shipment)
        fulfillment_services.record_tracking(shipment_id=shipment.pk, update=TrackingUpdate(
            event_id=f"test-delivered-{shipment.pk}", status=Shipment.State.DELIVERED,
            occurred_at=timezone.now() - timedelta(days=days_ago),
            description="Front door"))
    order.refresh_from_db()
    return order


@pytest.fixture
def delivered_order(catalog):
    """make(shirts=2, mugs=1, days_ago=1, user=None, deliver=True) -> a paid order."""

    def make(*, shirts=2, mugs=1, days_ago=1, user=None, email="ada@example.com",
             delivered=True):
        variants = {catalog["medium"]: shirts}
        if mugs:
            variants[catalog["mug"]] = mugs
        order = order_services.place_order(cart=ready_cart(variants=variants, email=email,
                                                           user=user), user=user)
        payment_services.start_payment(order=order, payment_data=CARD)
        fulfillment_services.create_shipments(order_id=order.pk)
        if delivered:
            deliver(order, days_ago=days_ago)
        order.refresh_from_db()
        return order

    return make


@pytest.fixture
def customer():
    return UserFactory(email="ada@example.com")


def line_of(order, sku):
    return order.lines.get(sku=sku)


def ask(order, *, sku="SHIRT-M", quantity=1, reason="wrong_size", resolution="refund",
        exchange=None, note=""):
    from returns import services

    line = line_of(order, sku)
    return services.request_return(
        order_id=order.pk, resolution=resolution,
        lines=[RequestedLine(order_line_id=line.pk, quantity=quantity, reason=reason,
                             note=note, exchange_variant_id=exchange.pk if exchange else None)])


def inspect_all(rma, condition="resellable", restock=True):
    from returns import services

    return services.inspect_return(return_id=rma.pk, inspections=[
        Inspection(return_line_id=line.pk, condition=condition,
                   restock=restock and condition == "resellable")
        for line in rma.lines.all()])

