"""Every KPI's exact value on the known history (see conftest), to the cent."""

from datetime import date, timedelta
from decimal import Decimal

import pytest

from kernel.money import Money
from shop.dashboard import selectors

pytestmark = pytest.mark.django_db(transaction=True)


def usd(amount: str) -> Money:
    return Money(Decimal(amount), "USD")


def kpis(panel):
    return {kpi.key: kpi.value for kpi in panel.kpis}


def previous(panel):
    return {kpi.key: kpi.previous for kpi in panel.kpis}


def test_sales_exact_with_refunds_cancellations_and_day_boundaries(rebuilt, period):
    panel = selectors.sales_panel(period)
    assert kpis(panel) == {
        # A 92.50 + B 12.50 + F 12.50 + H 12.50 (C canceled, G unpaid)
        "gross_sales": usd("130.00"),
        "discounts": usd("1.25"),
        # A's returned shirt, refunded 6 March: 44.00 = 40.00 merchandise + 4.00 tax (one
        # base: the tax refunded is its own line); C's refund left out.
        "refunds": usd("40.00"),
        "net_sales": usd("88.75"),
        "tax": usd("14.88"),  # 9.75 + 1.63 + 1.75 + 1.75
        "tax_refunds": usd("4.00"),
        "shipping": usd("20.00"),
        "shipping_refunds": usd("0.00"),
        "orders": 4,
        "average_order_value": usd("32.19"),  # (130.00 - 1.25) / 4 = 32.1875
        "units_per_order": Decimal("1.50"),
    }
    assert previous(panel) == {
        "gross_sales": usd("52.50"), "discounts": usd("0.00"), "refunds": usd("0.00"),
        "net_sales": usd("52.50"), "tax": usd("6.25"), "shipping": usd("10.00"), "orders": 2,
        "tax_refunds": usd("0.00"), "shipping_refunds": usd("0.00"),
        "average_order_value": usd("26.25"), "units_per_order": Decimal("1.00"),
    }
    net = next(kpi for kpi in panel.kpis if kpi.key == "net_sales")
    assert net.delta == usd("36.25") and net.delta_percent == Decimal("69.0")
    chart = panel.charts[0]
    assert dict(chart.points) == {
        "2025-03-01": 0, "2025-03-02": Decimal("92.50"), "2025-03-03": Decimal("12.50"),
        "2025-03-04": 0, "2025-03-05": 0, "2025-03-06": Decimal("-27.50"),
        "2025-03-07": Decimal("11.25")}
    # Mugs: A 12.50 + B 12.50 - 1.25 + F 12.50 + H 12.50. Shirts: 2 sold, 1 returned.
    assert panel.table("top_products").rows == [["Stoneware Mug", usd("48.75"), 4],
                                                ["Linen Shirt", usd("40.00"), 1]]
    assert panel.table("top_products_units").rows == [["Stoneware Mug", 4, usd("48.75")],
                                                      ["Linen Shirt", 1, usd("40.00")]]
    assert panel.table("top_categories").rows == [["Kitchen", usd("48.75"), 4],
                                                  ["Apparel", usd("40.00"), 1]]


def test_day_boundaries_follow_the_shop_time_zone(rebuilt, settings, period):
    from shop.dashboard import rollups
    from shop.dashboard.periods import Period

    # In New York, B (03:30 UTC on 8 March) is 7 March and E (04:00 UTC 1 March) is 28 Feb.
    assert kpis(selectors.sales_panel(Period(date(2025, 3, 7), date(2025, 3, 7))))[
        "orders"] == 1
    settings.SHOP_TIME_ZONE = "UTC"
    rollups.rebuild_rollups()
    assert kpis(selectors.sales_panel(Period(date(2025, 3, 7), date(2025, 3, 7))))[
        "orders"] == 0
    assert kpis(selectors.sales_panel(Period(date(2025, 3, 8), date(2025, 3, 8))))[
        "orders"] == 1
    assert kpis(selectors.sales_panel(period))["orders"] == 4  # E in, B out


def test_customers_exact(rebuilt, period):
    panel = selectors.customers_panel(period)
    assert kpis(panel) == {
        "customers": 3,  # alice (A, F), bob (B), carol (H)
        "new_customers": 2,  # alice (C was canceled, so A is her first), bob
        "returning_customers": 1,  # carol, first seen on 25 February
        "repeat_purchase_rate": Decimal("33.33"),  # alice
        "orders_per_customer": Decimal("1.33"),
        # On the net sales base (no tax or shipping): alice 92.50 + 12.50 - 40.00, bob 11.25,
        # carol 40.00 + 12.50, dave 12.50: 141.25 / 4
        "lifetime_value": usd("35.31"),
    }
    assert previous(panel)["customers"] == 2 and previous(panel)["new_customers"] == 2
    assert panel.table("top_customers").rows == [
        ["alice@example.com", 2, usd("65.00"), date(2025, 3, 2), date(2025, 3, 6)],
        ["carol@example.com", 2, usd("52.50"), date(2025, 2, 25), date(2025, 3, 3)],
        ["dave@example.com", 1, usd("12.50"), date(2025, 2, 28), date(2025, 2, 28)],
        ["bob@example.com", 1, usd("11.25"), date(2025, 3, 7), date(2025, 3, 7)],
    ]


def test_fulfillment_exact_with_split_shipments(rebuilt, period):
    from tests.dashboard.conftest import now_is, utc

    with now_is(utc(2025, 3, 12, 12, 0)):  # every pending shipment past its promise
        panel = selectors.fulfillment_panel(period)
    assert kpis(panel) == {
        "lead_time_median": timedelta(hours=24),  # A east; nearest rank of (24 h, 72 h)
        "lead_time_p90": timedelta(hours=73),  # A west: paid 2 March 15:05, shipped 5 March 16:05
        "shipped_in_time": Decimal("50.00"),
        "delivery_time_median": timedelta(hours=44, minutes=55),
        "on_time_delivery": Decimal("50.00"),  # east by 6 March; west on 7 March, late
        "shipments": 2,
    }
    assert previous(panel)["lead_time_median"] == timedelta(hours=23, minutes=55)
    assert panel.table("shipments_by_carrier").rows == [["Our couriers", 2]]
    late = panel.table("late_shipments").rows
    numbers = {row[1] for row in late}
    orders = rebuilt["orders"]
    assert numbers == {orders[name].number for name in "BEFH"}  # G unpaid: no shipment
    assert all(row[3] == "Pending" for row in late)


def test_returns_exact(rebuilt, period):
    panel = selectors.returns_panel(period)
    assert kpis(panel) == {
        "return_rate": Decimal("33.33"),  # 1 shirt back of 3 units delivered (2 + 1)
        "units_returned": 1,
        "return_refunds": usd("44.00"),
        "time_to_refund": timedelta(hours=8),
    }
    assert panel.table("returns_by_product").rows == [
        ["SHIRT-M", "Linen Shirt", 1, 2, Decimal("50.00")]]
    assert panel.table("returns_by_reason").rows == [["Wrong size or fit", 1]]


def test_stock_exact(rebuilt, period):
    panel = selectors.stock_panel(period)
    # on hand: SHIRT-M 10 - 3 shipped + 1 restocked = 8; MUG 10 - 1 = 9 (5 allocated to
    # B, E, F, H and the unpaid G); LAMP 4; SHIRT-L 0 and no cost price. Sold in the
    # period: 2 shirts, 4 mugs.
    assert kpis(panel) == {
        "value_at_cost": usd("245.00"),  # 8 x 15 + 9 x 5 + 4 x 20
        "value_at_price": usd("552.50"),  # 8 x 40 + 9 x 12.50 + 4 x 30
        "low_stock": 2,  # MUG (4 available), LAMP (4)
        "out_of_stock": 1,  # SHIRT-L
        "days_of_cover": Decimal("18.7"),  # 16 available / (6 sold / 7 days)
        "sell_through": Decimal("22.22"),  # 6 / (6 + 21)
        "inventory_turnover": Decimal("0.20"),  # (2 x 15 + 4 x 5) / 245
    }
    assert panel.missing_cost == 1
    assert panel.table("low_stock").rows == [["LAMP", "Brass Lamp", 4, None],
                                             ["MUG", "Stoneware Mug", 4, Decimal("7.0")]]
    assert panel.table("out_of_stock").rows == [["SHIRT-L", "Linen Shirt — L", 0, 0]]
    assert panel.table("slow_movers").rows == [["LAMP", "Brass Lamp", 4, usd("120.00")]]
    assert [row[0] for row in panel.table("days_of_cover").rows] == ["MUG", "SHIRT-M"]


def test_funnel_counts_orders_from_the_orders_table(rebuilt, period):
    from shop.dashboard.models import DailyFunnel

    DailyFunnel.objects.create(day=date(2025, 3, 2), sessions=40, product_views=30,
                               add_to_carts=10, checkouts_started=8)
    DailyFunnel.objects.create(day=date(2025, 3, 6), sessions=10, product_views=5,
                               add_to_carts=2, checkouts_started=2)
    panel = selectors.funnel_panel(period)
    values = kpis(panel)
    assert values["sessions"] == 50 and values["funnel_orders"] == 4
    assert values["conversion_rate"] == Decimal("8.00")
    assert panel.table("funnel_steps").rows == [
        ["Sessions", 50, None, Decimal("100.00")],
        ["Viewed a product", 35, Decimal("70.00"), Decimal("70.00")],
        ["Added to cart", 12, Decimal("34.29"), Decimal("24.00")],
        ["Started checkout", 10, Decimal("83.33"), Decimal("20.00")],
        ["Ordered", 4, Decimal("40.00"), Decimal("8.00")],
    ]
