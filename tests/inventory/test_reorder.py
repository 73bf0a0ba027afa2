"""The reorder check: velocity from the ledger's shipments, reorder points, pack sizes,
one draft per supplier and warehouse, never two drafts for one need, one digest a day."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.utils import timezone

from inventory import selectors, services, tasks
from inventory.models import (
    LowStockDigest,
    PurchaseOrder,
    PurchaseOrderLine,
    ReorderRule,
    StockLevel,
    StockMovement,
    Supplier,
    SupplierPrice,
)
from tests.concurrency import run_concurrently
from tests.factories import ProductFactory, make_variant

from .conftest import assert_ledger_ok

pytestmark = pytest.mark.django_db


def ship(variant, warehouse, quantity, *, days_ago: float):
    """A shipment line in the ledger, dated ``days_ago`` (allocated, then shipped)."""
    level = StockLevel.objects.get(variant=variant, warehouse=warehouse)
    assert services.allocate_units(stock_level_id=level.pk, quantity=quantity)
    movement = services.ship_units(stock_level_id=level.pk, quantity=quantity, reference="order")
    StockMovement.objects.filter(pk=movement.pk).update(
        created_at=timezone.now() - timedelta(days=days_ago))


@pytest.fixture
def selling(lantern, east, supplier, priced):
    """100 received; 60 shipped over the last 30 days (2 a day); 5 more shipped 40 days
    ago, outside the window. On hand: 35."""
    services.receive_stock(variant=lantern, warehouse=east, quantity=100)
    for day in range(30):
        ship(lantern, east, 2, days_ago=day + 0.5)
    ship(lantern, east, 5, days_ago=40)
    priced.pack_size = 12
    priced.save()
    return lantern


def test_velocity_is_shipments_in_the_window_over_its_days(selling, east):
    now = timezone.now()
    shipped = selectors.units_shipped(variant_ids=[selling.pk], since=now - timedelta(days=30),
                                      until=now)

    assert shipped == {(selling.pk, east.pk): 60}
    assert selectors.daily_velocity(60, 30) == Decimal("2")
    # 2 a day over 5 days' lead time + 7 safety days = 24 units.
    assert selectors.velocity_reorder_point(velocity=Decimal("2"), lead_time_days=5,
                                            safety_days=7) == 24
    assert selectors.velocity_reorder_point(velocity=Decimal("0.3"), lead_time_days=5,
                                            safety_days=0) == 2  # rounded up


def test_a_velocity_rule_orders_up_to_the_point_plus_a_windows_sales_in_whole_packs(
        selling, east, supplier):
    ReorderRule.objects.create(variant=selling, warehouse=east, method="velocity",
                               velocity_window_days=30, safety_days=15)
    # Point: 2/day x (5 + 15) = 40. On hand 35 <= 40: order up to 40 + 60 (a window's
    # sales) = 100, so 65, rounded up to packs of 12: 72.

    lines = services.draft_reorders()

    (line,) = lines
    assert (line.available, line.incoming, line.reorder_point) == (35, 0, 40)
    assert line.velocity == Decimal("2")
    assert line.ordered == 72
    purchase_order = PurchaseOrder.objects.get()
    assert purchase_order.status == PurchaseOrder.Status.DRAFT
    assert purchase_order.drafted_automatically
    assert (purchase_order.supplier, purchase_order.warehouse) == (supplier, east)
    assert purchase_order.lines.get().quantity_ordered == 72
    assert purchase_order.lines.get().unit_cost == Decimal("12.00")


def test_a_velocity_rule_above_its_point_orders_nothing(selling, east):
    ReorderRule.objects.create(variant=selling, warehouse=east, method="velocity",
                               velocity_window_days=30, safety_days=7)  # point 24 < 35

    (line,) = services.draft_reorders()

    assert line.reorder_point == 24 and line.ordered == 0
    assert not PurchaseOrder.objects.exists()


def test_running_the_check_twice_drafts_once(selling, east):
    ReorderRule.objects.create(variant=selling, warehouse=east, method="velocity",
                               safety_days=15)

    tasks.check_stock_levels.delay()
    tasks.check_stock_levels.delay()

    assert PurchaseOrder.objects.count() == 1
    assert PurchaseOrderLine.objects.get().quantity_ordered == 72
    assert len(mail.outbox) == 1  # one digest a day
    assert LowStockDigest.objects.get().sent_at is not None
    assert_ledger_ok()


def test_a_sent_order_counts_as_incoming_so_the_need_is_not_ordered_again(selling, east):
    ReorderRule.objects.create(variant=selling, warehouse=east, method="velocity",
                               safety_days=15)
    services.draft_reorders()
    services.send_purchase_order(purchase_order_id=PurchaseOrder.objects.get().pk)

    (line,) = services.draft_reorders()

    assert line.incoming == 72 and line.ordered == 0
    assert PurchaseOrder.objects.count() == 1


def test_more_need_tops_up_the_checks_own_draft(lantern, east, supplier, priced):
    rule = ReorderRule.objects.create(variant=lantern, warehouse=east, reorder_point=5,
                                      reorder_quantity=10)
    services.draft_reorders()  # position 0: order up to 15
    rule.reorder_point, rule.reorder_quantity = 30, 10
    rule.save()

    services.draft_reorders()  # position 15 <= 30: 25 more onto the same draft

    purchase_order = PurchaseOrder.objects.get()
    assert purchase_order.lines.get().quantity_ordered == 40


def test_fixed_rules_group_by_supplier_and_respect_minimums(lantern, east, west, supplier,
                                                            priced):
    tent = make_variant(ProductFactory(title="Tent"), sku="TENT-1")
    other = Supplier.objects.create(name="Bolt Supply", contact_email="b@example.com",
                                    lead_time_days=3)
    SupplierPrice.objects.create(supplier=other, variant=tent, cost=Decimal("80.00"),
                                 minimum_order_quantity=20, pack_size=4)
    SupplierPrice.objects.create(supplier=other, variant=lantern, cost=Decimal("15.00"))
    ReorderRule.objects.create(variant=lantern, warehouse=east, reorder_point=2,
                               reorder_quantity=6)
    ReorderRule.objects.create(variant=tent, warehouse=east, reorder_point=1,
                               reorder_quantity=3)
    ReorderRule.objects.create(variant=tent, warehouse=west, reorder_point=1,
                               reorder_quantity=3, is_active=False)

    services.draft_reorders()

    acme = PurchaseOrder.objects.get(supplier=supplier)  # the cheaper lantern supplier
    bolt = PurchaseOrder.objects.get(supplier=other)
    assert acme.lines.get().quantity_ordered == 8  # up to 2 + 6
    assert bolt.lines.get().variant == tent
    assert bolt.lines.get().quantity_ordered == 20  # 4 wanted; minimum 20 (5 packs)


def test_a_variant_no_supplier_sells_is_reported_not_drafted(east):
    orphan = make_variant(ProductFactory(), sku="ORPHAN-1")
    ReorderRule.objects.create(variant=orphan, warehouse=east, reorder_point=1,
                               reorder_quantity=5)

    (line,) = services.draft_reorders()
    services.send_low_stock_digest(lines=[line])

    assert not PurchaseOrder.objects.exists()
    assert "No active supplier" in line.problem
    assert "ORPHAN-1" in mail.outbox[0].body and "No active supplier" in mail.outbox[0].body


def test_nothing_low_sends_no_digest(lantern, east, priced):
    services.receive_stock(variant=lantern, warehouse=east, quantity=50)
    ReorderRule.objects.create(variant=lantern, warehouse=east, reorder_point=5,
                               reorder_quantity=10)

    tasks.check_stock_levels.delay()

    assert not mail.outbox and not PurchaseOrder.objects.exists()


def test_round_to_pack():
    assert services.round_to_pack(65, minimum=1, pack_size=12) == 72
    assert services.round_to_pack(3, minimum=20, pack_size=4) == 20
    assert services.round_to_pack(1, minimum=1, pack_size=1) == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_checks_draft_one_order(lantern, east, priced):
    ReorderRule.objects.create(variant=lantern, warehouse=east, reorder_point=5,
                               reorder_quantity=10)
    outcomes = run_concurrently(services.draft_reorders, services.draft_reorders)

    errors = [o.error for o in outcomes if o.error is not None]
    assert not errors
    assert PurchaseOrder.objects.count() == 1
    assert PurchaseOrderLine.objects.get().quantity_ordered == 15
