"""The money consistency check (issue 14): each invariant's violation is found with its
cause, and its repair (a payments service) puts it right, once."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from orders.models import Order, OrderLine
from payments import services as payment_services
from payments.models import GatewayCall, Payment
from shop.moneycheck import services
from shop.moneycheck.models import MoneyRepair, Problem
from shop.moneycheck.selectors import check_orders

pytestmark = pytest.mark.django_db


def only(problem):
    report = check_orders()
    assert [v.problem for v in report.violations] == [problem], report.violations
    return report.violations[0]


def test_a_shop_whose_money_agrees_is_clean(place, capsys):
    place()
    place(paid=False, email="b@example.com")
    assert check_orders().is_clean
    call_command("check_orders")
    assert "Money OK: 2 orders checked" in capsys.readouterr().out


def test_an_order_whose_status_disagrees_with_its_payments_is_set_from_them(place):
    order = place()
    Order.objects.filter(pk=order.pk).update(payment_status=Order.PaymentStatus.UNPAID)
    violation = only(Problem.PAYMENT_STATUS)
    assert violation.key == order.pk
    assert "says “unpaid” but its payments captured $45.00 and refunded $0.00" in violation.cause
    outcome = services.repair(problem=violation.problem, key=violation.key)
    assert outcome.repaired
    assert Order.objects.get(pk=order.pk).payment_status == Order.PaymentStatus.PAID
    assert check_orders().is_clean
    assert not services.repair(problem=violation.problem, key=violation.key).repaired
    assert MoneyRepair.objects.get().problem == Problem.PAYMENT_STATUS


def test_a_canceled_order_holding_captured_money_is_refunded_as_a_cancellation(place):
    order = place()
    Order.objects.filter(pk=order.pk).update(status=Order.Status.CANCELED)
    violation = only(Problem.CANCELED_HOLDS_MONEY)
    assert "is canceled but still holds $45.00" in violation.cause
    assert services.repair(problem=violation.problem, key=violation.key).repaired
    payment = Payment.objects.get(order=order)
    assert (payment.state, payment.refunded_amount) == ("refunded", Decimal("45"))
    assert payment.calls.get(kind="refund").refund_reason == "cancellation"
    assert check_orders().is_clean
    assert not services.repair(problem=violation.problem, key=violation.key).repaired
    assert Payment.objects.get(order=order).calls.filter(kind="refund").count() == 1


def test_shipped_goods_refunded_without_a_reason_are_recorded_as_goodwill(place):
    order = place()
    OrderLine.objects.filter(order=order).update(quantity_fulfilled=1)
    payment_services.refund_payment(payment=Payment.objects.get(order=order),
                                    amount=Decimal("5"))  # no reason: as before issue 14
    violation = only(Problem.UNEXPLAINED_REFUND)
    call = GatewayCall.objects.get(kind="refund")
    assert violation.key == call.pk and "with no reason" in violation.cause
    assert services.repair(problem=violation.problem, key=violation.key).repaired
    call.refresh_from_db()
    assert call.refund_reason == "goodwill" and "money check" in call.refund_note
    assert check_orders().is_clean
    assert order.events.filter(message__contains="recorded as goodwill").exists()


def test_a_refund_with_its_reason_after_shipping_is_no_violation(place):
    order = place()
    OrderLine.objects.filter(order=order).update(quantity_fulfilled=1)
    payment_services.refund_payment(payment=Payment.objects.get(order=order),
                                    amount=Decimal("5"), refund_reason="return",
                                    refund_reference="RMA-9")
    assert check_orders().is_clean


def test_an_authorization_past_its_lapse_is_voided_by_canceling_the_order(place, authorize_only):
    order = place()
    payment = Payment.objects.get(order=order)
    assert check_orders().is_clean
    Payment.objects.filter(pk=payment.pk).update(
        created_at=timezone.now() - timedelta(days=8))
    violation = only(Problem.STUCK_PAYMENT)
    assert violation.key == payment.pk and "still authorized past its deadline" in violation.cause
    # The open order lives on it: voiding it alone would let its goods ship unpaid.
    refused = services.repair(problem=violation.problem, key=violation.key)
    assert not refused.repaired and "Cancel the order instead" in refused.message
    payment.refresh_from_db()
    assert payment.state == Payment.State.AUTHORIZED
    payment_services.cancel_and_settle(order=order, reason="Authorization lapsed.")
    payment.refresh_from_db()
    assert payment.state == Payment.State.CANCELED
    assert check_orders().is_clean


def test_a_pending_payment_past_the_orders_deadline_is_settled(place):
    order = place(paid=False)
    payment = Payment.objects.create(order=order, gateway="offline", amount=order.total,
                                     currency=order.currency)
    Order.objects.filter(pk=order.pk).update(payment_due_by=timezone.now() - timedelta(hours=1))
    violation = only(Problem.STUCK_PAYMENT)
    assert "still pending past its deadline" in violation.cause
    assert services.repair(problem=violation.problem, key=violation.key).repaired
    payment.refresh_from_db()
    assert payment.state == Payment.State.CANCELED
    assert check_orders().is_clean


def test_the_command_lists_repairs_and_exits_one_while_anything_is_wrong(place, capsys):
    order = place()
    Order.objects.filter(pk=order.pk).update(payment_status=Order.PaymentStatus.UNPAID)
    with pytest.raises(CommandError) as failed:
        call_command("check_orders")
    assert failed.value.returncode == 1
    assert "Order's payment status disagrees with its payments" in capsys.readouterr().out
    call_command("check_orders", "--repair")
    out = capsys.readouterr().out
    assert "repaired: Money check: payment status was “unpaid”" in out and "Money OK" in out
