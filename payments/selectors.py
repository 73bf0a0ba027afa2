"""Reads about payments shared by several callers: an order's balance, explained cent by cent
(the order admin, the shopper's order page, the money consistency check)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from django.db.models import Prefetch

from kernel.money import Money
from orders.models import Order

from .models import GatewayCall, Payment, RefundReason

State = Payment.State
ZERO = Decimal("0")


@dataclass(frozen=True)
class BalanceLine:
    """One movement of money with its cause, worded for staff and for the shopper.
    ``kind`` is the figure it adds to: charged, authorized, captured or refunded."""

    kind: str
    amount: Decimal
    currency: str
    staff_text: str
    shopper_text: str
    at: datetime | None = None

    @property
    def money(self) -> Money:
        return Money(self.amount, self.currency)


@dataclass
class OrderBalance:
    """What was charged (the order's total), is held on a card (authorized, not captured),
    captured, refunded and is still outstanding; ``lines`` add up to each figure."""

    currency: str
    charged: Decimal = ZERO
    authorized: Decimal = ZERO
    captured: Decimal = ZERO
    refunded: Decimal = ZERO
    outstanding: Decimal = ZERO
    lines: list[BalanceLine] = field(default_factory=list)

    @property
    def paid(self) -> Decimal:
        """Captured less refunded: the money the shop keeps."""
        return self.captured - self.refunded

    def money(self, name: str) -> Money:
        return Money(getattr(self, name), self.currency)

    def total_of(self, kind: str) -> Decimal:
        return sum((line.amount for line in self.lines if line.kind == kind), ZERO)

    @property
    def figures(self) -> list[tuple[str, Money]]:
        return [("Order total", self.money("charged")), ("Authorized", self.money("authorized")),
                ("Captured", self.money("captured")), ("Refunded", self.money("refunded")),
                ("Paid (captured less refunded)", self.money("paid")),
                ("Outstanding", self.money("outstanding"))]


def _day(moment: datetime | None) -> str:
    return f"{moment:%d %b %Y}" if moment else "an unknown date"


def _refund_texts(call: GatewayCall) -> tuple[str, str]:
    who = call.requested_by.get_username() if call.requested_by_id else "staff"
    note = f" “{call.refund_note}”" if call.refund_note else ""
    return {
        RefundReason.RETURN: (f"Refund for return {call.refund_reference or '(no number)'}",
                              f"Refunded for your return {call.refund_reference}".strip()),
        RefundReason.CANCELLATION: ("Refund on cancellation", "Refunded: order canceled"),
        RefundReason.PRICE_ADJUSTMENT: (f"Price adjustment refund by {who}{note}",
                                        "Refunded: price adjustment"),
        RefundReason.GOODWILL: (f"Goodwill refund by {who}{note}",
                                "Refunded: a goodwill gesture"),
    }.get(call.refund_reason, (f"Refund with no reason recorded{note}", "Refunded"))


def _payment_lines(payment: Payment) -> list[BalanceLine]:
    calls = list(payment.calls.all())  # prefetched, oldest first
    currency = payment.currency
    via = f"card {payment.card_label}" if payment.card_label else payment.get_gateway_display()
    with_card = f" with {payment.card_label}" if payment.card_label else ""
    secured = next((c.completed_at for c in calls if c.success and c.kind in {
        GatewayCall.Kind.AUTHORIZE, GatewayCall.Kind.CONFIRM}), None) or payment.created_at
    lines = []
    if payment.state == State.AUTHORIZED:
        lines.append(BalanceLine(
            "authorized", payment.amount, currency,
            f"Payment authorized on {_day(secured)} via {via} (not captured yet)",
            f"Held{with_card} on {_day(secured)}; charged when your order ships", secured))
    if payment.captured_amount > 0:
        captured_at = next((c.completed_at for c in calls if c.success
                            and c.kind == GatewayCall.Kind.CAPTURE), None) or secured
        lines.append(BalanceLine(
            "captured", payment.captured_amount, currency,
            f"Payment authorized on {_day(secured)} via {via}; captured on "
            f"{_day(captured_at)}",
            f"Paid on {_day(captured_at)}{with_card}", captured_at))
    recorded = ZERO
    for call in calls:
        if call.kind == GatewayCall.Kind.REFUND and call.outcome == GatewayCall.Outcome.SUCCEEDED:
            staff, shopper = _refund_texts(call)
            recorded += call.amount
            lines.append(BalanceLine("refunded", call.amount, currency, staff, shopper,
                                     call.completed_at))
    if payment.refunded_amount != recorded:
        # Refunded at the gateway itself (the Stripe dashboard), reported by a webhook.
        lines.append(BalanceLine(
            "refunded", payment.refunded_amount - recorded, currency,
            "Refunded at the gateway, outside the shop (reported by the gateway)",
            "Refunded", payment.updated_at))
    return lines


def order_balance(order: Order) -> OrderBalance:
    """The order's balance, every cent with its cause (two queries: the payments and their
    calls with who asked for them)."""
    payments = (Payment.objects.filter(order_id=order.pk).order_by("created_at", "pk")
                .prefetch_related(Prefetch("calls", queryset=GatewayCall.objects
                                           .select_related("requested_by")
                                           .order_by("created_at", "pk"))))
    balance = OrderBalance(currency=order.currency, charged=order.total)
    balance.lines.append(BalanceLine("charged", order.total, order.currency,
                                     f"Order total, placed on {_day(order.placed_at)}",
                                     "Order total", order.placed_at))
    for payment in payments:
        for line in _payment_lines(payment):
            balance.lines.append(line)
            setattr(balance, line.kind, getattr(balance, line.kind) + line.amount)
    if order.status == Order.Status.CANCELED:
        balance.outstanding = ZERO
    else:
        balance.outstanding = max(order.total - balance.captured - balance.authorized, ZERO)
    return balance
