"""Repairs under concurrent work, on PostgreSQL with real threads: the row locks, not luck,
keep them right."""

import threading
import time

import pytest
from django.db import transaction
from django.db.models import F, Sum

from inventory.models import StockLevel, StockMovement
from orders import services as order_services
from orders.models import Allocation
from shop.stockcheck import services
from shop.stockcheck.selectors import check_stock
from tests.concurrency import run_concurrently, start_in_thread
from tests.factories import ready_cart

from .conftest import level_of

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_allocated_repair_waits_for_a_checkout_holding_the_level(mug):
    level = level_of(mug)
    StockLevel.objects.filter(pk=level.pk).update(allocated=F("allocated") + 2)  # drifted
    cart = ready_cart(variants={mug: 1})
    placed, go = threading.Event(), threading.Event()

    def checkout():
        with transaction.atomic():
            order = order_services.place_order(cart=cart)  # holds the level's lock
            placed.set()
            go.wait(10)
            return order

    buyer = start_in_thread(checkout)
    assert placed.wait(10)
    repairer = start_in_thread(lambda: services.repair_allocated(stock_level_id=level.pk))
    time.sleep(0.5)
    assert repairer.is_alive()  # waiting on the checkout's lock, not reading stale numbers
    go.set()
    order = buyer.join(10)
    repair = repairer.join(10)

    assert order.ok, order.error
    assert repair.get().repaired, repair
    level.refresh_from_db()
    held = Allocation.objects.filter(stock_level=level).aggregate(total=Sum("quantity"))["total"]
    assert held == 1 and level.allocated == 1  # the new order's unit is kept
    assert check_stock().is_clean


def test_two_ledger_repairs_at_once_write_one_correcting_line(mug):
    level = level_of(mug)
    StockLevel.objects.filter(pk=level.pk).update(on_hand=F("on_hand") + 4)

    def repair():
        return services.repair_ledger(stock_level_id=level.pk)

    outcomes = run_concurrently(repair, repair, timeout=10)

    assert sorted(outcome.get().repaired for outcome in outcomes) == [False, True]
    corrections = StockMovement.objects.filter(stock_level=level, reference="stock-check")
    assert [m.quantity for m in corrections] == [4]
    assert check_stock().is_clean
