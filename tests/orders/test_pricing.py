from decimal import Decimal as D

from orders.pricing import compute_totals, spread


def totals(**overrides):
    args = {"lines": [(1, D("19.99"), 3), (2, D("5.00"), 1)], "currency": "USD",
            "prices_include_tax": False, "tax_rate": D("0"), "shipping_price": D("4.95"),
            "tax_shipping": True}
    args.update(overrides)
    return compute_totals(**args)


def test_no_tax_no_discount_adds_up():
    result = totals()
    assert (result.subtotal, result.discount, result.shipping, result.tax, result.total) == (
        D("64.97"), D("0"), D("4.95"), D("0"), D("69.92"))


def test_tax_added_on_top_of_exclusive_prices_including_shipping():
    result = totals(tax_rate=D("10"))
    # 59.97 -> 6.00, 5.00 -> 0.50, shipping 4.95 -> 0.50 (half up)
    assert [line.tax for line in result.lines] == [D("6.00"), D("0.50")]
    assert result.shipping_tax == D("0.50")
    assert result.tax == D("7.00")
    assert result.total == D("64.97") + D("4.95") + D("7.00")


def test_tax_included_prices_keep_the_total_and_show_the_tax_part():
    result = totals(prices_include_tax=True, tax_rate=D("20"), shipping_price=D("6.00"))
    assert result.total == D("64.97") + D("6.00")
    # 59.97 / 1.2 = 49.975 -> tax 9.995 -> 10.00 (quantized half up from 59.97 - 49.975)
    assert result.lines[0].tax == D("10.00")
    assert result.lines[1].tax == D("0.83")
    assert result.shipping_tax == D("1.00")


def test_percentage_voucher_is_spread_over_lines_and_sums_exactly():
    result = totals(voucher_kind="percentage", voucher_value=D("15"))
    assert result.discount == D("9.75")  # 15% of 64.97 = 9.7455
    assert sum(line.discount for line in result.lines) == result.discount
    assert result.total == D("64.97") - D("9.75") + D("4.95")


def test_fixed_voucher_never_exceeds_the_subtotal():
    result = totals(voucher_kind="fixed", voucher_value=D("500"))
    assert result.discount == D("64.97")
    assert result.total == D("4.95")


def test_free_shipping_voucher_zeroes_shipping_and_its_tax():
    result = totals(voucher_kind="free_shipping", tax_rate=D("10"))
    assert result.shipping == D("0") and result.shipping_tax == D("0")


def test_shipping_untaxed_when_the_setting_says_so():
    result = totals(tax_rate=D("10"), tax_shipping=False)
    assert result.shipping_tax == D("0")


def test_spread_gives_the_remainder_to_the_last_share():
    shares = spread(D("10.00"), [D("1"), D("1"), D("1")], "USD")
    assert shares == [D("3.33"), D("3.33"), D("3.34")]


def test_zero_decimal_currency_rounds_to_whole_units():
    result = compute_totals(lines=[(1, D("1999"), 1)], currency="JPY", prices_include_tax=True,
                            tax_rate=D("10"), shipping_price=D("500"), tax_shipping=True)
    assert result.lines[0].tax == D("182")
    assert result.total == D("2499")
