"""manage.py import_orders: historic orders with their real times, all or nothing."""

import io
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from fulfillment.models import Shipment
from orders.models import Order, OrderEvent
from shop.dashboard import selectors
from shop.dashboard.periods import Period
from tests.factories import ProductFactory, WarehouseFactory, make_variant

pytestmark = pytest.mark.django_db(transaction=True)
CSV = Path(__file__).parent / "data" / "import_orders.csv"


@pytest.fixture
def shop(new_york):
    east = WarehouseFactory(code="east", name="East DC")
    make_variant(ProductFactory(title="Linen Shirt"), price="40.00", sku="SHIRT-M", stock=3,
                 warehouse=east)
    return east


def test_imports_orders_lines_payments_shipments_and_refunds_with_their_times(shop):
    out = io.StringIO()
    call_command("import_orders", str(CSV), stdout=out)
    assert "Imported 2 orders (3 lines)" in out.getvalue()
    first = Order.objects.get(number="IMP-1001")
    assert first.placed_at == datetime(2024, 11, 2, 19, 30, tzinfo=UTC)
    assert (first.subtotal, first.discount_amount, first.tax_amount, first.total) == (
        Decimal("105.00"), Decimal("5.00"), Decimal("10.00"), Decimal("115.00"))
    assert first.payment_status == Order.PaymentStatus.PAID
    assert first.fulfillment_status == Order.FulfillmentStatus.DELIVERED
    shipment = Shipment.objects.get(order=first)
    assert shipment.shipped_at == datetime(2024, 11, 3, 15, 0, tzinfo=UTC)
    assert shipment.lines.count() == 1  # the retired hat is kept by name on the order line
    assert first.lines.get(sku="OLD-HAT").variant is None
    second = Order.objects.get(number="IMP-1002")
    assert second.payment_status == Order.PaymentStatus.PARTIALLY_REFUNDED  # 44 of 49
    refund = second.events.get(type=OrderEvent.Type.REFUNDED)
    assert refund.created_at == datetime(2024, 11, 6, 16, 0, tzinfo=UTC)
    # The dashboards were rebuilt: the history shows, on the one sales base.
    figures = {k.key: k.value for k in selectors.sales_panel(
        Period(date(2024, 11, 1), date(2024, 11, 7))).kpis}
    assert figures["orders"] == 2 and figures["gross_sales"].amount == Decimal("145.00")
    # A refund with no return behind it: split in its order's proportions (40 + 4 + 5).
    assert (figures["refunds"].amount, figures["tax_refunds"].amount,
            figures["shipping_refunds"].amount) == (Decimal("35.92"), Decimal("3.59"),
                                                   Decimal("4.49"))
    assert figures["net_sales"].amount == Decimal("104.08")  # 145 - 5 - 35.92
    lead = {k.key: k.value for k in selectors.fulfillment_panel(
        Period(date(2024, 11, 1), date(2024, 11, 7))).kpis}["lead_time_median"]
    assert lead.total_seconds() == 19 * 3600 + 29 * 60
    with pytest.raises(CommandError, match="already imported"):
        call_command("import_orders", str(CSV), stdout=io.StringIO())


def test_bad_rows_are_listed_by_line_and_nothing_is_written(shop, tmp_path):
    good = CSV.read_text().splitlines()
    bad = tmp_path / "bad.csv"
    bad.write_text("\n".join([
        good[0], good[1],
        good[2].replace("25.00", "twenty"),  # line 3: not an amount
        good[3].replace("2024-11-04T09:00:00-05:00", "2024-11-04 09:00"),  # no offset
        "1003,2024-11-05T09:00:00-05:00,cat@example.com,US,SHIRT-M,Linen Shirt,0,40.00,,,,"
        "2024-11-05T08:00:00-05:00,2024-11-06T09:00:00-05:00,nowhere,,,,",
    ]) + "\n")
    with pytest.raises(CommandError) as error:
        call_command("import_orders", str(bad), stdout=io.StringIO())
    message = str(error.value)
    assert "nothing was imported" in message
    assert "line 3: unit_price 'twenty' is not an amount." in message
    assert "line 4" in message and "no UTC offset" in message
    assert "line 5: quantity '0' must be a whole number above zero." in message
    assert "paid_at is before placed_at" in message
    assert "warehouse 'nowhere' is not a warehouse code" in message
    assert not Order.objects.exists() and not OrderEvent.objects.exists()


def test_a_missing_column_or_file_is_a_clear_error(shop, tmp_path):
    broken = tmp_path / "broken.csv"
    broken.write_text("order_ref,placed_at\n1,2024-11-02T14:30:00-05:00\n")
    with pytest.raises(CommandError, match="missing columns email, country, sku"):
        call_command("import_orders", str(broken))
    with pytest.raises(CommandError, match="Can't read"):
        call_command("import_orders", str(tmp_path / "absent.csv"))
    assert not Order.objects.exists()
