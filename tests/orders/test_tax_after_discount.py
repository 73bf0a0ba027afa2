"""Tax is computed on what the shopper pays after the voucher, never on the price before
the discount: in the pricing function and on a placed order."""

from decimal import Decimal as D

import pytest

from orders import services
from orders.models import OrderLine, TaxRate, Voucher
from orders.pricing import compute_totals
from tests.factories import ProductFactory, make_variant, ready_cart


def priced(**overrides):
    args = {"lines": [(1, D("100.00"), 1), (2, D("50.00"), 1)], "currency": "USD",
            "prices_include_tax": False, "tax_rate": D("20"), "shipping_price": D("10.00"),
            "tax_shipping": False}
    args.update(overrides)
    return compute_totals(**args)


def test_a_percentage_voucher_lowers_the_tax_on_exclusive_prices():
    result = priced(voucher_kind="percentage", voucher_value=D("10"))
    assert result.discount == D("15.00")
    assert [line.discount for line in result.lines] == [D("10.00"), D("5.00")]
    # 20% of what is paid (90 + 45), not of the 150 before the voucher (that would be 30).
    assert [line.tax for line in result.lines] == [D("18.00"), D("9.00")]
    assert result.tax == D("27.00")
    assert result.total == D("135.00") + D("27.00") + D("10.00")


def test_a_fixed_voucher_lowers_the_tax_part_of_inclusive_prices():
    result = priced(prices_include_tax=True, lines=[(1, D("120.00"), 1)],
                    voucher_kind="fixed", voucher_value=D("20.00"))
    # 100.00 paid, tax included at 20%: 100 - 100 / 1.2 = 16.67 (on 120 it would be 20.00).
    assert result.lines[0].tax == D("16.67")
    assert result.tax == D("16.67")
    assert result.total == D("100.00") + D("10.00")


def test_a_free_shipping_voucher_leaves_the_goods_tax_alone_and_drops_the_shipping_tax():
    result = priced(voucher_kind="free_shipping", tax_shipping=True)
    assert result.discount == D("0") and result.shipping == D("0")
    assert result.shipping_tax == D("0")
    assert result.tax == D("30.00")


@pytest.mark.django_db
def test_a_placed_order_is_taxed_after_its_voucher(settings):
    settings.SHOP_PRICES_INCLUDE_TAX = False
    settings.SHOP_TAX_SHIPPING = False
    TaxRate.objects.create(country="US", region="OR", rate=D("10"))
    Voucher.objects.create(code="QUARTER", kind="percentage", value=D("25"))
    variant = make_variant(ProductFactory(), price="20.00", stock=5)
    order = services.place_order(cart=ready_cart(variants={variant: 2}, voucher="QUARTER"))
    assert (order.subtotal, order.discount_amount) == (D("40.00"), D("10.00"))
    assert order.tax_amount == D("3.00")  # 10% of 30.00 paid, not of 40.00
    assert order.total == D("30.00") + D("3.00") + order.shipping_amount
    line = OrderLine.objects.get(order=order)
    assert (line.discount_amount, line.tax_amount, line.total) == (D("10.00"), D("3.00"),
                                                                   D("33.00"))
