"""``manage.py check_stock``: prints each violation, exits 1 when any, 0 when clean;
``--repair`` applies the repairs."""

from io import StringIO

import pytest
from django.core.management import call_command, execute_from_command_line
from django.db.models import F

from inventory import services as inventory_services
from inventory.models import StockLevel
from orders.models import Allocation

from .conftest import drop_allocation, level_of

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def keep_the_test_connection(monkeypatch):
    """``run_from_argv`` closes every connection when a command ends; the test's
    transaction lives on that connection."""
    from django.core.management import base

    monkeypatch.setattr(base.connections, "close_all", lambda: None)


def run(*args):
    """Run the command as ``manage.py`` would; returns (exit code, output)."""
    import sys

    out = StringIO()
    stdout, stderr = sys.stdout, sys.stderr
    sys.stdout = sys.stderr = out
    try:
        execute_from_command_line(["manage.py", "check_stock", *args])
        code = 0
    except SystemExit as exit_:
        code = exit_.code
    finally:
        sys.stdout, sys.stderr = stdout, stderr
    return code, out.getvalue()


def test_clean_stock_exits_zero(place, mug):
    place({mug: 2})
    code, output = run()
    assert code == 0
    assert "Stock OK: 1 stock levels checked" in output


def test_each_violation_is_printed_and_the_exit_code_is_one(place, mug):
    order = place({mug: 2})
    StockLevel.objects.filter(pk=level_of(mug).pk).update(on_hand=F("on_hand") + 1,
                                                          allocated=0)
    code, output = run()
    assert code == 1
    assert ("Ledger does not sum to on hand: MUG at east: the ledger sums to 10 but on hand "
            "is 11") in output
    assert ("Allocated differs from the order allocations: MUG at east: allocated is 0 but "
            "the order allocations there add up to 2.") in output
    assert "2 stock problems found." in output
    assert Allocation.objects.filter(order_line__order=order).count() == 1  # nothing changed


def test_repair_fixes_everything_and_exits_zero(place, mug):
    order = place({mug: 2})
    drop_allocation(order.lines.get())
    code, output = run("--repair")
    assert code == 0, output
    assert "repaired: Order" in output and "Stock OK" in output
    assert Allocation.objects.get(order_line__order=order).quantity == 2


def test_repair_that_cannot_be_made_leaves_exit_code_one(place, mug):
    order = place({mug: 2})
    drop_allocation(order.lines.get())
    inventory_services.write_off_stock(stock_level_id=level_of(mug).pk, quantity=10,
                                       reason="Flood")
    code, output = run("--repair")
    assert code == 1
    assert "not repaired: Order line" in output and "could not be allocated" in output


def test_call_command_raises_with_the_count(place, mug):
    from django.core.management.base import CommandError

    StockLevel.objects.filter(pk=level_of(mug).pk).update(on_hand=F("on_hand") + 1)
    with pytest.raises(CommandError, match="1 stock problem found"):
        call_command("check_stock", stdout=StringIO())
