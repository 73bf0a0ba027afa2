"""Totals, computed once on the server from catalog prices, the voucher, the shipping
method and the destination's tax rate. Pure functions: no database, no request.

Rules:
- The order discount is spread over the lines in proportion to their subtotals (the last
  line takes the rounding remainder), so each line knows what was paid for it (returns
  refund exactly that).
- Tax is computed per line on what was paid after discount, and on shipping when
  ``SHOP_TAX_SHIPPING`` is on. With tax-inclusive prices the tax is the part of the price
  that is tax; with tax-exclusive prices it is added on top.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from kernel.money import Money, quantize

ZERO = Decimal("0")
HUNDRED = Decimal("100")


@dataclass(frozen=True)
class PricedLine:
    key: int  # the variant id
    quantity: int
    unit_price: Decimal
    subtotal: Decimal
    discount: Decimal
    tax_rate: Decimal
    tax: Decimal
    total: Decimal


@dataclass(frozen=True)
class Totals:
    currency: str
    prices_include_tax: bool
    lines: tuple[PricedLine, ...]
    subtotal: Decimal
    discount: Decimal
    shipping: Decimal
    shipping_tax: Decimal
    tax: Decimal
    total: Decimal
    tax_rate: Decimal

    def money(self, field: str) -> Money:
        return Money(getattr(self, field), self.currency)

    @property
    def discounted_subtotal(self) -> Decimal:
        return self.subtotal - self.discount


def tax_part(amount: Decimal, rate: Decimal, *, included: bool, currency: str) -> Decimal:
    """The tax in (included) or on (not included) an amount at ``rate`` percent."""
    if rate == ZERO or amount == ZERO:
        return ZERO
    fraction = rate / HUNDRED
    if included:
        return quantize(amount - amount / (1 + fraction), currency)
    return quantize(amount * fraction, currency)


def discount_for(subtotal: Decimal, *, kind: str | None, value: Decimal,
                 currency: str) -> Decimal:
    """What a voucher takes off a subtotal: never more than the subtotal itself."""
    if kind == "percentage":
        return min(quantize(subtotal * value / HUNDRED, currency), subtotal)
    if kind == "fixed":
        return min(quantize(value, currency), subtotal)
    return ZERO


def spread(amount: Decimal, weights: list[Decimal], currency: str) -> list[Decimal]:
    """Split ``amount`` over ``weights`` proportionally; the shares sum exactly to it."""
    total = sum(weights, ZERO)
    if amount == ZERO or total == ZERO:
        return [ZERO] * len(weights)
    shares = [quantize(amount * weight / total, currency) for weight in weights[:-1]]
    return [*shares, amount - sum(shares, ZERO)]


def compute_totals(*, lines: list[tuple[int, Decimal, int]], currency: str,
                   prices_include_tax: bool, tax_rate: Decimal, shipping_price: Decimal,
                   tax_shipping: bool, voucher_kind: str | None = None,
                   voucher_value: Decimal = ZERO) -> Totals:
    """Totals for ``lines`` given as (variant id, unit price, quantity).

    ``shipping_price`` is the method's price as configured (already 0 when it is free
    above a subtotal); a free-shipping voucher makes it 0 here.
    """
    subtotals = [quantize(unit_price * quantity, currency) for _, unit_price, quantity in lines]
    subtotal = sum(subtotals, ZERO)
    discount = discount_for(subtotal, kind=voucher_kind, value=voucher_value, currency=currency)
    shares = spread(discount, subtotals, currency)
    priced = []
    for (key, unit_price, quantity), line_subtotal, share in zip(lines, subtotals, shares,
                                                                 strict=True):
        paid = line_subtotal - share
        tax = tax_part(paid, tax_rate, included=prices_include_tax, currency=currency)
        priced.append(PricedLine(
            key=key, quantity=quantity, unit_price=unit_price, subtotal=line_subtotal,
            discount=share, tax_rate=tax_rate, tax=tax,
            total=paid if prices_include_tax else paid + tax,
        ))
    shipping = ZERO if voucher_kind == "free_shipping" else quantize(shipping_price, currency)
    shipping_tax = (tax_part(shipping, tax_rate, included=prices_include_tax, currency=currency)
                    if tax_shipping else ZERO)
    shipping_total = shipping if prices_include_tax else shipping + shipping_tax
    return Totals(
        currency=currency, prices_include_tax=prices_include_tax, lines=tuple(priced),
        subtotal=subtotal, discount=discount, shipping=shipping, shipping_tax=shipping_tax,
        tax=sum((line.tax for line in priced), ZERO) + shipping_tax,
        total=sum((line.total for line in priced), ZERO) + shipping_total,
        tax_rate=tax_rate,
    )
