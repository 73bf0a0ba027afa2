"""The money check itself: every invariant in three queries, whatever the size of the shop.

1. each order's payment status is what its payments hold (captured less refunded is what the
   order says was paid: all of its total when paid, nothing when refunded or unpaid);
2. no canceled order holds captured money (captured less refunded is zero);
3. no refund of an order some of whose units shipped is without a reason (a return, a
   cancellation, a price adjustment or goodwill);
4. no payment is live (pending, authenticating, authorized) past its deadline: the order's
   payment deadline, or the authorization's lapse.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Exists, OuterRef, Q, Sum
from django.utils import timezone

from kernel.money import Money
from orders.models import Order, OrderLine
from payments.models import GatewayCall, Payment
from payments.services import expected_payment_status, live_payment_deadline

from .models import MoneyRepair, Problem

ZERO = Decimal("0")
LIVE_STATES = (Payment.State.PENDING, Payment.State.REQUIRES_ACTION, Payment.State.AUTHORIZED)

REPAIRS = {
    Problem.PAYMENT_STATUS: "Set the status from the payments",
    Problem.CANCELED_HOLDS_MONEY: "Refund it as a cancellation",
    Problem.UNEXPLAINED_REFUND: "Record it as goodwill",
    Problem.STUCK_PAYMENT: "Sync with the gateway, then void",
}


@dataclass(frozen=True)
class Violation:
    """One broken invariant. ``key`` names what the repair works on: the order for the first
    two problems, the refund (gateway call) for the third, the payment for the last."""

    problem: str
    key: int
    cause: str
    order_number: str = ""

    @property
    def problem_label(self) -> str:
        return Problem(self.problem).label

    @property
    def repair_label(self) -> str:
        return REPAIRS[Problem(self.problem)]

    def __str__(self) -> str:
        return f"[{self.problem}] {self.cause}"


@dataclass(frozen=True)
class MoneyReport:
    orders_checked: int
    violations: list[Violation] = field(default_factory=list)

    @property
    def is_clean(self) -> bool:
        return not self.violations

    def by_problem(self) -> list[tuple[str, str, list[Violation]]]:
        grouped: dict[str, list[Violation]] = defaultdict(list)
        for violation in self.violations:
            grouped[violation.problem].append(violation)
        return [(problem.value, problem.label, grouped[problem.value])
                for problem in Problem if grouped[problem.value]]


def check_orders(*, now=None) -> MoneyReport:
    """Run every check and return what is wrong, with causes."""
    now = now or timezone.now()
    checked, found = _order_violations()
    found += _unexplained_refunds()
    found += _stuck_payments(now)
    return MoneyReport(orders_checked=checked, violations=found)


def _order_violations() -> tuple[int, list[Violation]]:
    rows = Order.objects.annotate(
        captured=Sum("payments__captured_amount", default=ZERO),
        refunded=Sum("payments__refunded_amount", default=ZERO),
        authorized=Count("payments", filter=Q(payments__state=Payment.State.AUTHORIZED)),
    ).values_list("pk", "number", "status", "payment_status", "total", "currency", "captured",
                  "refunded", "authorized").order_by("pk")
    found, checked = [], 0
    for pk, number, status, payment_status, total, currency, captured, refunded, held in rows:
        checked += 1
        paid = captured - refunded
        said = Order.PaymentStatus(payment_status).label.lower()
        allowed = expected_payment_status(total=total, captured=captured, refunded=refunded,
                                          authorized=held)
        if payment_status not in allowed:
            found.append(Violation(
                Problem.PAYMENT_STATUS, pk,
                f"Order {number} says “{said}” but its payments captured "
                f"{Money(captured, currency)} and refunded {Money(refunded, currency)}"
                f"{' and hold an authorization' if held else ''}.", number))
        elif payment_status == Order.PaymentStatus.PAID and paid != total:
            found.append(Violation(
                Problem.PAYMENT_STATUS, pk,
                f"Order {number} says “paid” ({Money(total, currency)}) but captured less "
                f"refunded is {Money(paid, currency)}.", number))
        if status == Order.Status.CANCELED and paid > 0:
            found.append(Violation(
                Problem.CANCELED_HOLDS_MONEY, pk,
                f"Order {number} is canceled but still holds {Money(paid, currency)} captured "
                "and not refunded.", number))
    return checked, found


def _unexplained_refunds() -> list[Violation]:
    shipped = OrderLine.objects.filter(order_id=OuterRef("payment__order_id"),
                                       quantity_fulfilled__gt=0)
    calls = (GatewayCall.objects.filter(kind=GatewayCall.Kind.REFUND,
                                        outcome=GatewayCall.Outcome.SUCCEEDED, refund_reason="")
             .filter(Exists(shipped)).select_related("payment__order").order_by("pk"))
    return [Violation(
        Problem.UNEXPLAINED_REFUND, call.pk,
        f"Order {call.payment.order.number} shipped goods and {Money(call.amount, call.currency)}"
        f" was refunded on {call.completed_at or call.created_at:%Y-%m-%d} with no reason (no "
        "return, adjustment or goodwill).", call.payment.order.number) for call in calls]


def _stuck_payments(now) -> list[Violation]:
    found = []
    payments = (Payment.objects.filter(state__in=LIVE_STATES).select_related("order")
                .order_by("pk"))
    for payment in payments:
        deadline = live_payment_deadline(payment, payment.order)
        if deadline is None or deadline > now:
            continue
        found.append(Violation(
            Problem.STUCK_PAYMENT, payment.pk,
            f"Order {payment.order.number}: a payment of {payment.money('amount')} is still "
            f"{payment.get_state_display().lower()} past its deadline "
            f"({deadline:%Y-%m-%d %H:%M} UTC).", payment.order.number))
    return found


def recent_repairs(*, limit: int = 20) -> list[MoneyRepair]:
    return list(MoneyRepair.objects.select_related("user").order_by("-created_at", "-pk")[:limit])
