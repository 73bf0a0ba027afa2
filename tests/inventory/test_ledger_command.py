"""`manage.py check_stock_ledger` proves that on hand equals the sum of the ledger."""

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from inventory import services
from inventory.management.commands.check_stock_ledger import Command
from inventory.models import StockLevel
from tests.factories import ProductFactory, WarehouseFactory, make_variant

pytestmark = pytest.mark.django_db


@pytest.fixture
def stocked():
    east, west = WarehouseFactory(code="east"), WarehouseFactory(code="west")
    product = ProductFactory(title="Tea towel")
    blue = make_variant(product, sku="TOWEL-BLUE", options={"Color": "Blue"}, stock=10,
                        warehouse=east)
    red = make_variant(product, sku="TOWEL-RED", options={"Color": "Red"}, stock=4,
                       warehouse=west)
    services.adjust_stock_count(variant=blue, warehouse=east, counted=8, reason="Cycle count")
    return {"blue": blue, "red": red, "east": east, "west": west}


def run_check() -> tuple[str, str]:
    stdout, stderr = io.StringIO(), io.StringIO()
    call_command("check_stock_ledger", stdout=stdout, stderr=stderr)
    return stdout.getvalue(), stderr.getvalue()


def test_a_clean_ledger_reports_ok_with_the_number_of_levels_checked(stocked):
    stdout, stderr = run_check()

    assert "Stock ledger OK: 2 stock levels checked" in stdout
    assert stderr == ""


def test_an_empty_shop_has_a_clean_ledger():
    stdout, _ = run_check()

    assert "Stock ledger OK: 0 stock levels checked" in stdout


def test_on_hand_changed_behind_the_ledgers_back_fails_naming_the_sku(stocked):
    StockLevel.objects.filter(variant=stocked["red"]).update(on_hand=7)
    stderr = io.StringIO()

    with pytest.raises(CommandError, match="1 of 2 stock levels do not match"):
        call_command("check_stock_ledger", stdout=io.StringIO(), stderr=stderr)

    report = stderr.getvalue()
    assert "TOWEL-RED @ west: on hand 7, ledger sums to 4 (difference +3)" in report
    assert "TOWEL-BLUE" not in report


def test_the_command_exits_with_status_1_from_the_command_line(stocked):
    StockLevel.objects.filter(variant=stocked["blue"]).update(on_hand=0)
    stderr = io.StringIO()
    command = Command(stdout=io.StringIO(), stderr=stderr)

    with pytest.raises(SystemExit) as exit_info:
        command.run_from_argv(["manage.py", "check_stock_ledger"])

    assert exit_info.value.code == 1
    assert "TOWEL-BLUE @ east" in stderr.getvalue()
