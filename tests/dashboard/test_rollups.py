"""The roll-ups: kept by per-order refreshes on every event, proved by the nightly rebuild."""

from decimal import Decimal

import pytest

from orders import services as order_services
from payments import services as payment_services
from shop.dashboard import rollups, tasks
from shop.dashboard.models import DailyProductSales, DailySales, RollupRun, ShipmentFact
from shop.dashboard.periods import local_today
from tests.factories import ProductFactory, make_variant, ready_cart

pytestmark = pytest.mark.django_db(transaction=True)
CARD = {"number": "4242424242424242", "exp_month": "12", "exp_year": "2030", "cvc": "123"}


def snapshot():
    return (sorted(DailySales.objects.values_list("day", "orders", "gross_sales", "refunds")),
            sorted(DailyProductSales.objects.values_list("day", "sku", "units_sold",
                                                         "net_sales", "units_delivered")))


def test_live_events_keep_todays_rollups_without_a_rebuild():
    variant = make_variant(ProductFactory(title="Kettle"), sku="KETTLE", price="30.00", stock=5)
    order = order_services.place_order(cart=ready_cart(variants={variant: 2}))
    assert not DailySales.objects.exists()  # unpaid: not a sale yet
    payment_services.start_payment(order=order, payment_data=CARD)  # order_paid -> refresh
    today = DailySales.objects.get(day=local_today())
    assert (today.orders, today.units, today.gross_sales) == (1, 2, Decimal("60.00"))
    assert ShipmentFact.objects.filter(order=order).count() == 1
    payment_services.cancel_and_settle(order=order, reason="Test")  # order_canceled -> refresh
    assert not DailySales.objects.filter(orders__gt=0).exists()
    assert rollups.rebuild_rollups().rows_differing == 0


def test_a_refund_from_the_order_admin_counts_at_once():
    variant = make_variant(ProductFactory(title="Teapot"), sku="TEAPOT", price="40.00", stock=5)
    order = order_services.place_order(cart=ready_cart(variants={variant: 1}))
    payment_services.start_payment(order=order, payment_data=CARD)
    payment = order.payments.get()
    payment_services.refund_payment(payment=payment, amount=Decimal("15.00"))  # no return
    today = DailySales.objects.get(day=local_today())
    # No return behind it: split in the order's proportions, the parts adding up to it.
    assert today.refunds + today.tax_refunds + today.shipping_refunds == Decimal("15.00")
    assert Decimal("0") < today.refunds < Decimal("15.00")
    assert rollups.rebuild_rollups().rows_differing == 0


def test_per_order_refreshes_agree_with_the_rebuild(history):
    # The fixture moved every timestamp behind the services' back: the increments are stale
    # until each order is refreshed, as its next event would.
    assert rollups.rebuild_rollups().rows_differing > 0
    DailySales.objects.all().delete()
    DailyProductSales.objects.all().delete()
    for order in history["orders"].values():
        tasks.refresh_order_kpis(order.pk)
    refreshed = snapshot()
    run = rollups.rebuild_rollups()
    assert run.rows_differing == 0 and run.rows_checked > 0 and run.finished_at
    assert snapshot() == refreshed


def test_refresh_is_idempotent_and_follows_shipments_and_returns(history):
    order = history["orders"]["A"]
    rollups.rebuild_rollups()
    before = snapshot()
    assert tasks.refresh_order_kpis(order.pk) >= 1
    assert tasks.refresh_order_kpis(order.pk) >= 1
    assert tasks.refresh_order_kpis(shipment_id=history["west_box"].pk) >= 1
    assert tasks.refresh_order_kpis(return_id=history["rma"].pk) >= 1
    assert snapshot() == before


def test_the_rebuild_finds_and_fixes_a_wrong_row(rebuilt):
    row = DailySales.objects.order_by("day").first()
    DailySales.objects.filter(pk=row.pk).update(gross_sales=row.gross_sales + 1)
    run = rollups.rebuild_rollups()
    assert run.rows_differing == 1
    assert run.differences[0]["table"] == "sales"
    assert DailySales.objects.get(day=row.day).gross_sales == row.gross_sales
    assert RollupRun.objects.count() == 2
    assert tasks.rebuild_kpi_rollups() == 0
