"""Repairs for what the money check finds, and the nightly check's email.

Each repair calls one ``payments.services`` function that re-checks the violation under
its locks (so a second run finds nothing to do) and writes the order's timeline; here a
``MoneyRepair`` row records who ran it and what it did. A repair that cannot be made
changes nothing and says why.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils import timezone

from kernel.errors import NotFound, ShopError
from kernel.money import Money
from orders.models import Order
from payments import services as payment_services
from payments.models import GatewayCall, Payment, RefundReason
from shop.web.consistency import record_nightly_run

from .models import MoneyCheckRun, MoneyRepair, Problem
from .selectors import MoneyReport, Violation, check_orders

UNEXPLAINED_NOTE = ("Recorded by the money check: refunded after shipping with no reason "
                    "given; recorded as goodwill.")


@dataclass(frozen=True)
class RepairOutcome:
    repaired: bool
    message: str

    def __str__(self) -> str:
        return self.message


def _user(user):
    return user if user is not None and user.is_authenticated else None


def _audit(problem: str, order: Order | None, message: str, user) -> RepairOutcome:
    MoneyRepair.objects.create(problem=problem, order=order, message=message[:500],
                               subject=f"Order {order.number}" if order else "",
                               user=_user(user))
    return RepairOutcome(True, message)


def repair_payment_status(*, order_id: int, user=None) -> RepairOutcome:
    order = Order.objects.get(pk=order_id)
    message = payment_services.reconcile_payment_status(order_id=order_id, actor=_user(user))
    if not message:
        return RepairOutcome(False, f"Order {order.number}: its payment status already "
                                    "agrees with its payments, or only a capture or refund "
                                    "of the difference can make it agree.")
    return _audit(Problem.PAYMENT_STATUS, order, message, user)


def repair_canceled_money(*, order_id: int, user=None) -> RepairOutcome:
    order = Order.objects.get(pk=order_id)
    refunded = payment_services.refund_canceled_order(order_id=order_id, actor=_user(user))
    if not refunded:
        return RepairOutcome(False, f"Order {order.number} holds no captured money.")
    return _audit(Problem.CANCELED_HOLDS_MONEY, order,
                  f"Order {order.number} was canceled but held "
                  f"{Money(refunded, order.currency)}; refunded it as a cancellation.", user)


def repair_unexplained_refund(*, call_id: int, user=None) -> RepairOutcome:
    call = GatewayCall.objects.select_related("payment__order").filter(pk=call_id).first()
    if call is None:
        raise NotFound("No such refund.")
    if call.refund_reason:
        return RepairOutcome(False, "That refund already has a reason.")
    payment_services.record_refund_reason(call_id=call_id, refund_reason=RefundReason.GOODWILL,
                                          note=UNEXPLAINED_NOTE, actor=_user(user))
    order = call.payment.order
    return _audit(Problem.UNEXPLAINED_REFUND, order,
                  f"Order {order.number}: the refund of {Money(call.amount, call.currency)} "
                  "made without a reason is recorded as goodwill.", user)


def repair_stuck_payment(*, payment_id: int, user=None) -> RepairOutcome:
    before = Payment.objects.select_related("order").filter(pk=payment_id).first()
    if before is None:
        raise NotFound("No such payment.")
    payment = payment_services.settle_stuck_payment(payment_id=payment_id, actor=_user(user))
    if payment.state == before.state:
        return RepairOutcome(False, f"Order {before.order.number}: the payment is "
                                    f"{payment.get_state_display().lower()}, not past its "
                                    "deadline or not live.")
    return _audit(Problem.STUCK_PAYMENT, before.order,
                  f"Order {before.order.number}: a payment {before.get_state_display().lower()}"
                  f" past its deadline is now {payment.get_state_display().lower()}.", user)


REPAIR_SERVICES = {
    Problem.PAYMENT_STATUS: lambda key, user: repair_payment_status(order_id=key, user=user),
    Problem.CANCELED_HOLDS_MONEY: lambda key, user: repair_canceled_money(order_id=key,
                                                                          user=user),
    Problem.UNEXPLAINED_REFUND: lambda key, user: repair_unexplained_refund(call_id=key,
                                                                            user=user),
    Problem.STUCK_PAYMENT: lambda key, user: repair_stuck_payment(payment_id=key, user=user),
}


def repair(*, problem: str, key: int, user=None) -> RepairOutcome:
    """Repair one violation (each repair re-checks it under its locks). A repair the
    service refuses (the gateway declines, a state moved meanwhile) is reported, not
    raised."""
    try:
        service = REPAIR_SERVICES[Problem(problem)]
    except ValueError:
        raise NotFound(f"No such money problem: {problem}.") from None
    try:
        return service(key, user)
    except (ShopError, Order.DoesNotExist) as error:
        return RepairOutcome(False, getattr(error, "message", str(error)))


def repair_all(*, report: MoneyReport | None = None, user=None
               ) -> list[tuple[Violation, RepairOutcome]]:
    report = report or check_orders()
    return [(violation, repair(problem=violation.problem, key=violation.key, user=user))
            for violation in report.violations]


# --- The nightly check ----------------------------------------------------------------------


def run_nightly_money_check(*, day=None) -> bool:
    """Check the money and, when anything is wrong, email the merchant one message listing
    every violation: at most once a day (claimed under the day's row lock), never when the
    check is clean. Returns whether it emailed now."""
    report = check_orders()
    return record_nightly_run(
        run_model=MoneyCheckRun, report=report, day=day or timezone.localdate(),
        app_label="moneycheck", what="money", counts={"violations": len(report.violations)})
