"""Refunds on the sales' base: each refund split into merchandise, tax and shipping, and its
merchandise into SKUs, so net sales, product net sales and customer net sales are all on
one base (merchandise value after discounts) and add up to each other.

- The part of a day's refunds on an order that a return refunded that day is split by the
  returned lines: their price after their share of the line discount is merchandise,
  their share of the line tax is tax, the rest (the shipping refund, less any fees) is
  shipping. Those units count as refunded units of their SKU.
- Any other refund (a cancellation of part of an order, a price adjustment, goodwill) is
  split in the proportions of the order itself (items after discounts, shipping, tax), and
  its merchandise over the order's lines by their value.

Every split is rounded to the cent with the remainder on the last part, so the parts add up
to the refund exactly.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import F, Sum
from django.db.models.functions import TruncDate

from orders.models import Order, OrderLine
from returns.models import ReturnLine, ReturnRequest

from .models import RefundFact
from .periods import shop_zone

ZERO = Decimal("0.00")
CENT = Decimal("0.01")


def _cents(value: Decimal) -> Decimal:
    return Decimal(value).quantize(CENT, ROUND_HALF_UP)


def _share(amount: Decimal, weights: list[Decimal]) -> list[Decimal]:
    """``amount`` split by ``weights``, to the cent, adding up exactly."""
    total = sum(weights, ZERO)
    if not weights:
        return []
    if not total:
        return [ZERO] * (len(weights) - 1) + [amount]
    parts = [_cents(amount * w / total) for w in weights[:-1]]
    return parts + [amount - sum(parts, ZERO)]


@dataclass
class RefundSplit:
    """One order's refunds on one day."""

    order_id: int
    day: dt.date
    currency: str
    merchandise: Decimal = ZERO
    tax: Decimal = ZERO
    shipping: Decimal = ZERO
    # sku -> [merchandise refunded, units refunded, product id, product name]
    skus: dict[str, list] = field(default_factory=dict)

    def add_sku(self, sku: str, amount: Decimal, units: int, product, name: str) -> None:
        row = self.skus.setdefault(sku, [ZERO, 0, product, name])
        row[0] += amount
        row[1] += units


def split_refunds(facts) -> list[RefundSplit]:
    """Split the refunds in ``facts`` (a RefundFact queryset). A few queries whatever the
    number of refunds."""
    by_order_day: dict[tuple, Decimal] = defaultdict(lambda: ZERO)
    currencies: dict[int, str] = {}
    for row in facts.order_by().values("order_id", "day", "currency").annotate(
            total=Sum("amount")):
        by_order_day[(row["order_id"], row["day"])] += row["total"]
        currencies[row["order_id"]] = row["currency"]
    if not by_order_day:
        return []
    order_ids = set(currencies)
    orders = {row["pk"]: row for row in Order.objects.filter(pk__in=order_ids).values(
        "pk", "subtotal", "discount_amount", "shipping_amount", "tax_amount", "total")}
    lines: dict[int, list[dict]] = defaultdict(list)
    for line in (OrderLine.objects.filter(order_id__in=order_ids).order_by("order_id", "pk")
                 .values("pk", "order_id", "sku", "product_name", "quantity", "unit_price",
                         "discount_amount", "tax_amount", product=F("variant__product_id"))):
        lines[line["order_id"]].append(line)
    returned: dict[tuple, list[dict]] = defaultdict(list)
    refunded: dict[tuple, Decimal] = defaultdict(lambda: ZERO)
    # Day of a return's refund: the local day of closed_at, as in ReturnFact.
    for ret in (ReturnRequest.objects.filter(order_id__in=order_ids,
                                             state=ReturnRequest.State.REFUNDED)
                .annotate(d=TruncDate("closed_at", tzinfo=shop_zone()))
                .values("pk", "order_id", "d", "refunded_amount")):
        refunded[(ret["order_id"], ret["d"])] += ret["refunded_amount"]
        returned[(ret["order_id"], ret["d"])].append(ret)
    return_lines: dict[int, list[dict]] = defaultdict(list)
    for line in (ReturnLine.objects.filter(return_request__order_id__in=order_ids,
                                           return_request__state=ReturnRequest.State.REFUNDED)
                 .order_by("pk").values("return_request_id", "order_line_id", "quantity")):
        return_lines[line["return_request_id"]].append(line)

    splits = []
    for (order_id, day), amount in sorted(by_order_day.items(), key=lambda item: item[0]):
        split = RefundSplit(order_id, day, currencies[order_id])
        order_lines = {line["pk"]: line for line in lines[order_id]}
        from_returns = min(amount, refunded[(order_id, day)])
        if from_returns > 0:
            merchandise = tax = ZERO
            for ret in returned[(order_id, day)]:
                for back in return_lines[ret["pk"]]:
                    line = order_lines.get(back["order_line_id"])
                    if line is None or not line["quantity"]:
                        continue
                    part = Decimal(back["quantity"]) / line["quantity"]
                    value = (line["unit_price"] * back["quantity"]
                             - _cents(line["discount_amount"] * part))
                    merchandise += value
                    tax += _cents(line["tax_amount"] * part)
                    split.add_sku(line["sku"], value, back["quantity"], line["product"],
                                  line["product_name"])
            # A fee kept back comes off the shipping refund first, then the merchandise.
            shipping = from_returns - merchandise - tax
            if shipping < 0:
                tax = max(ZERO, tax + shipping)
                merchandise = from_returns - tax
                shipping = ZERO
                _scale_skus(split, merchandise)
            split.merchandise, split.tax, split.shipping = merchandise, tax, shipping
        rest = amount - from_returns
        order = orders.get(order_id)
        if rest > 0 and order is not None:
            goods = order["subtotal"] - order["discount_amount"]
            merchandise, shipping, tax = _share(
                rest, [goods, order["shipping_amount"],
                       order["total"] - goods - order["shipping_amount"]])
            split.merchandise += merchandise
            split.shipping += shipping
            split.tax += tax
            priced = lines[order_id]
            values = [line["unit_price"] * line["quantity"] - line["discount_amount"]
                      for line in priced]
            for line, part in zip(priced, _share(merchandise, values), strict=True):
                split.add_sku(line["sku"], part, 0, line["product"], line["product_name"])
        elif rest > 0:
            split.merchandise += rest
        splits.append(split)
    return splits


def _scale_skus(split: RefundSplit, merchandise: Decimal) -> None:
    skus = list(split.skus.values())
    for row, part in zip(skus, _share(merchandise, [row[0] for row in skus]), strict=True):
        row[0] = part


def refunds_between(first: dt.date, last: dt.date) -> list[RefundSplit]:
    return split_refunds(RefundFact.objects.filter(day__gte=first, day__lte=last))
