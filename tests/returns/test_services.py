"""Returns through the services: the whole path, refunds, exchanges and refusals."""

import io
from datetime import timedelta
from decimal import Decimal

import pypdfium2
import pytest
import zxingcpp
from django.core import mail
from django.core.management import call_command
from django.test import override_settings

from fulfillment.models import Shipment
from inventory.models import StockLevel, StockMovement
from kernel.errors import InvalidTransition, NotFound
from orders.exceptions import OutOfStock
from orders.models import Order
from payments.models import GatewayCall, Payment
from returns import services, tasks
from returns.exceptions import ReturnInvalid
from returns.models import ReturnLine, ReturnNotification, ReturnRequest
from returns.selectors import returnable_lines
from returns.services import Inspection, RequestedLine
from tests.concurrency import run_concurrently
from tests.fulfillment.test_shipments import to_shipped

from .conftest import ask, inspect_all, line_of

# Transactional: each service's after-commit work (signals -> eager tasks -> emails, labels,
# restocking, refunds) runs as it would in production.
pytestmark = pytest.mark.django_db(transaction=True)
State = ReturnRequest.State


def level(variant, warehouse):
    return StockLevel.objects.get(variant=variant, warehouse=warehouse)


def ledger_is_consistent():
    call_command("check_stock_ledger", stdout=io.StringIO())  # exits 1 on a mismatch


def test_the_whole_path_delivered_to_refunded(delivered_order, catalog, warehouse):
    order = delivered_order(shirts=2, mugs=1)
    assert order.fulfillment_status == Order.FulfillmentStatus.DELIVERED
    shirts_on_hand = level(catalog["medium"], warehouse).on_hand
    payment = order.payments.get()
    captured = payment.captured_amount
    mail.outbox.clear()

    rma = ask(order, sku="SHIRT-M", quantity=1, reason="wrong_size")
    assert rma.number.startswith("RMA-") and rma.state == State.REQUESTED

    services.approve_return(return_id=rma.pk, message="Thanks, send it back within 14 days.")
    rma.refresh_from_db()
    assert rma.state == State.APPROVED and rma.method == ReturnRequest.Method.LABEL
    assert rma.warehouse == warehouse
    # The label task ran (eagerly) and the approved email carries it.
    assert rma.tracking_number.startswith("NR") and rma.label
    approved = [m for m in mail.outbox if rma.number in m.subject]
    assert len(approved) == 1 and "approved" in approved[0].subject
    assert approved[0].attachments[0][0] == f"{rma.number}-label.pdf"
    assert "Thanks, send it back" in approved[0].body

    services.receive_by_scan(code=rma.tracking_number)
    rma.refresh_from_db()
    assert rma.state == State.RECEIVED

    inspect_all(rma, condition="resellable", restock=True)
    rma.refresh_from_db()
    order.refresh_from_db()
    assert rma.state == State.INSPECTED
    assert order.fulfillment_status == Order.FulfillmentStatus.PARTIALLY_RETURNED
    assert line_of(order, "SHIRT-M").quantity_returned == 1
    # Restocked by the task, through the ledger.
    assert level(catalog["medium"], warehouse).on_hand == shirts_on_hand + 1
    movement = StockMovement.objects.get(reference=rma.number)
    assert movement.kind == StockMovement.Kind.RETURN_RESTOCK and movement.quantity == 1
    ledger_is_consistent()

    shirt_line = line_of(order, "SHIRT-M")
    assert rma.items_amount == shirt_line.total / 2
    assert rma.shipping_refund == 0  # changed mind-type reason, order not all back
    services.refund_return(return_id=rma.pk)
    rma.refresh_from_db()
    payment.refresh_from_db()
    order.refresh_from_db()
    assert rma.state == State.REFUNDED and rma.refunded_amount == rma.items_amount
    assert payment.refunded_amount == rma.items_amount
    assert payment.state == Payment.State.PARTIALLY_REFUNDED
    assert order.payment_status == Order.PaymentStatus.PARTIALLY_REFUNDED
    assert payment.captured_amount == captured
    kinds = set(ReturnNotification.objects.filter(return_request=rma, sent_at__isnull=False)
                .values_list("kind", flat=True))
    assert kinds == {"approved", "received", "refunded"}
    refunded = [m for m in mail.outbox if "refund" in m.subject.lower()]
    assert f"${rma.refunded_amount}" in refunded[0].body
    assert list(rma.events.values_list("state", flat=True).exclude(state="")) == [
        "requested", "approved", "received", "inspected", "refunded"]


def test_everything_back_refunds_shipping_and_the_order_becomes_refunded(delivered_order):
    order = delivered_order(shirts=1, mugs=1)
    rma = services.request_return(order_id=order.pk, resolution="refund", lines=[
        RequestedLine(order_line_id=line.pk, quantity=line.quantity, reason="changed_mind")
        for line in order.lines.all()])
    services.approve_return(return_id=rma.pk, method="drop_off")
    services.receive_return(return_id=rma.pk)
    inspect_all(rma)
    rma.refresh_from_db()
    order.refresh_from_db()
    assert order.fulfillment_status == Order.FulfillmentStatus.RETURNED
    assert rma.shipping_refund == order.total - sum(line.total for line in order.lines.all())
    assert rma.items_amount + rma.shipping_refund == order.total
    services.refund_return(return_id=rma.pk)
    order.refresh_from_db()
    assert order.payment_status == Order.PaymentStatus.REFUNDED
    assert order.payments.get().refunded_amount == order.total


@override_settings(SHOP_RETURN_SHIPPING_FEE=Decimal("4.95"), SHOP_RESTOCKING_FEE_PERCENT=10)
def test_fees_apply_unless_the_fault_is_the_shops(delivered_order):
    order = delivered_order(shirts=2, mugs=0)
    mine = ask(order, quantity=1, reason="changed_mind")
    services.approve_return(return_id=mine.pk)
    services.receive_return(return_id=mine.pk)
    inspect_all(mine)
    mine.refresh_from_db()
    assert mine.return_shipping_fee == Decimal("4.95")
    assert mine.restocking_fee == (mine.items_amount / 10).quantize(Decimal("0.01"))
    assert mine.proposed_refund == mine.items_amount - Decimal("4.95") - mine.restocking_fee

    theirs = ask(order, quantity=1, reason="damaged")
    services.approve_return(return_id=theirs.pk)
    services.receive_return(return_id=theirs.pk)
    inspect_all(theirs, condition="damaged")
    theirs.refresh_from_db()
    assert theirs.return_shipping_fee == 0 and theirs.restocking_fee == 0
    assert theirs.shipping_refund > 0  # the shop's fault: shipping comes back too


def test_damaged_units_are_written_off_with_their_own_movement(delivered_order, catalog,
                                                               warehouse):
    order = delivered_order(shirts=2, mugs=0)
    before = level(catalog["medium"], warehouse).on_hand
    rma = ask(order, quantity=2, reason="damaged")
    services.approve_return(return_id=rma.pk)
    services.receive_return(return_id=rma.pk)
    inspect_all(rma, condition="damaged")
    kinds = list(StockMovement.objects.filter(reference=rma.number).order_by("pk")
                 .values_list("kind", "quantity"))
    assert kinds == [("return_restock", 2), ("write_off", -2)]
    assert level(catalog["medium"], warehouse).on_hand == before
    ledger_is_consistent()
    # Running the restock again moves nothing.
    assert tasks.restock_return(rma.pk) == 0
    assert StockMovement.objects.filter(reference=rma.number).count() == 2


def test_missing_items_are_not_refunded(delivered_order):
    order = delivered_order(shirts=1, mugs=1)
    rma = services.request_return(order_id=order.pk, resolution="refund", lines=[
        RequestedLine(order_line_id=line.pk, quantity=1, reason="changed_mind")
        for line in order.lines.all()])
    services.approve_return(return_id=rma.pk)
    services.receive_return(return_id=rma.pk)
    shirt, mug = rma.lines.order_by("order_line__sku")[1], rma.lines.order_by(
        "order_line__sku")[0]
    services.inspect_return(return_id=rma.pk, inspections=[
        Inspection(return_line_id=shirt.pk, condition="resellable", restock=True),
        Inspection(return_line_id=mug.pk, condition="missing")])
    rma.refresh_from_db()
    assert rma.items_amount == line_of(order, "SHIRT-M").total
    order.refresh_from_db()
    assert line_of(order, "MUG").quantity_returned == 0
    assert order.fulfillment_status == Order.FulfillmentStatus.PARTIALLY_RETURNED


def returned_and_inspected(order, quantity=1):
    rma = ask(order, quantity=quantity)
    services.approve_return(return_id=rma.pk, method="drop_off")
    services.receive_return(return_id=rma.pk)
    inspect_all(rma)
    rma.refresh_from_db()
    return rma


def test_refund_bounds_and_adjustment(delivered_order):
    order = delivered_order(shirts=2, mugs=0)
    rma = returned_and_inspected(order)
    payment = order.payments.get()
    for bad, words in [("0", "above zero"), ("-5", "above zero"), ("abc", "as an amount"),
                       ("1.005", "cents"), (str(payment.captured_amount + 1), "At most")]:
        with pytest.raises(ReturnInvalid, match=words):
            services.refund_return(return_id=rma.pk, amount=bad)
    rma.refresh_from_db()
    assert rma.refund_requested_at is None and rma.state == State.INSPECTED
    assert not GatewayCall.objects.filter(kind="refund").exists()
    services.refund_return(return_id=rma.pk, amount="15.00")  # staff lowered it
    rma.refresh_from_db()
    assert rma.state == State.REFUNDED and rma.refunded_amount == Decimal("15.00")
    assert "proposed" in rma.events.filter(message__contains="decided").get().message
    with pytest.raises(InvalidTransition):
        services.refund_return(return_id=rma.pk)


def test_refunds_never_exceed_captured_minus_refunded(delivered_order):
    order = delivered_order(shirts=2, mugs=0)
    first = returned_and_inspected(order)
    second = returned_and_inspected(order)
    payment = order.payments.get()
    # Staff refunded most of the order by hand on the payment.
    from payments import services as payment_services

    payment_services.refund_payment(payment=payment, amount=payment.captured_amount - 10)
    services.refund_return(return_id=first.pk, amount="10.00")
    with pytest.raises(ReturnInvalid, match=r"At most \$0.00"):
        services.refund_return(return_id=second.pk, amount="0.01")
    payment.refresh_from_db()
    assert payment.refunded_amount == payment.captured_amount


def test_refund_task_run_twice_refunds_once(delivered_order):
    order = delivered_order(shirts=2, mugs=0)
    rma = returned_and_inspected(order)
    services.refund_return(return_id=rma.pk)
    tasks.execute_refund(rma.pk)
    tasks.execute_refund(rma.pk)
    assert GatewayCall.objects.filter(kind="refund").count() == 1
    assert order.payments.get().refunded_amount == rma.items_amount
    assert ReturnNotification.objects.filter(return_request=rma, kind="refunded").count() == 1


def test_a_failed_refund_can_be_tried_again(delivered_order, monkeypatch):
    from payments.gateways.base import GatewayResult
    from payments.gateways.offline import OfflineGateway

    order = delivered_order(shirts=2, mugs=0)
    rma = returned_and_inspected(order)
    monkeypatch.setattr(OfflineGateway, "refund", lambda self, **kw: GatewayResult(
        success=False, state="captured", error="Card account closed", error_code="closed"))
    services.refund_return(return_id=rma.pk)
    rma.refresh_from_db()
    assert rma.state == State.INSPECTED and rma.refund_requested_at is None
    assert "Card account closed" in rma.refund_error
    monkeypatch.undo()
    services.refund_return(return_id=rma.pk)
    rma.refresh_from_db()
    assert rma.state == State.REFUNDED and rma.refund_attempts == 2
    assert order.payments.get().refunded_amount == rma.items_amount


@pytest.mark.postgres
def test_two_concurrent_refunds_on_one_return_give_one_refund(delivered_order, settings):
    order = delivered_order(shirts=2, mugs=0)
    rma = returned_and_inspected(order)

    def attempt():
        services.refund_return(return_id=rma.pk)
        return "refunded"

    outcomes = sorted(o.result if o.ok else o.error.code
                      for o in run_concurrently(attempt, attempt)
                      if o.ok or isinstance(o.error, InvalidTransition))
    assert outcomes == ["refund_in_progress", "refunded"] or \
        outcomes == ["invalid_transition", "refunded"]
    payment = order.payments.get()
    assert GatewayCall.objects.filter(payment=payment, kind="refund").count() == 1
    assert payment.refunded_amount == rma.items_amount


@pytest.mark.postgres
def test_the_refund_task_run_concurrently_refunds_once(delivered_order, monkeypatch):
    from returns import receivers

    order = delivered_order(shirts=2, mugs=0)
    rma = returned_and_inspected(order)
    monkeypatch.setattr(receivers, "enqueue", lambda *args: None)  # the test runs the task
    services.refund_return(return_id=rma.pk)

    def run():
        return services.execute_refund(return_id=rma.pk)

    outcomes = run_concurrently(run, run, run)
    assert [o.error for o in outcomes] == [None] * 3
    payment = order.payments.get()
    assert GatewayCall.objects.filter(payment=payment, kind="refund").count() == 1
    assert payment.refunded_amount == rma.items_amount
    rma.refresh_from_db()
    assert rma.state == State.REFUNDED


def test_exchange_creates_an_order_that_ships(delivered_order, catalog, warehouse):
    order = delivered_order(shirts=1, mugs=0)
    large_before = level(catalog["large"], warehouse)
    mail.outbox.clear()
    rma = ask(order, quantity=1, resolution="exchange", exchange=catalog["large"])
    services.approve_return(return_id=rma.pk, method="drop_off")
    services.receive_return(return_id=rma.pk)
    inspect_all(rma)
    services.exchange_return(return_id=rma.pk)
    rma.refresh_from_db()
    replacement = rma.replacement_order
    assert rma.state == State.EXCHANGED
    assert replacement.total == 0 and replacement.replaces == order
    assert replacement.payment_status == Order.PaymentStatus.PAID
    assert [(line.sku, line.quantity, line.total) for line in replacement.lines.all()] == [
        ("SHIRT-L", 1, Decimal("0.00"))]
    assert level(catalog["large"], warehouse).allocated == large_before.allocated + 1
    shipment = Shipment.objects.get(order=replacement)  # created by the task
    to_shipped(shipment)
    replacement.refresh_from_db()
    assert replacement.fulfillment_status == Order.FulfillmentStatus.FULFILLED
    shipped = [m for m in mail.outbox if "exchange" in m.subject.lower()]
    assert len(shipped) == 1 and shipment.tracking_number in shipped[0].body
    # The generic "your order has shipped" email is not sent twice for an exchange.
    assert not [m for m in mail.outbox if "has shipped" in m.subject and
                replacement.number in m.subject]
    ledger_is_consistent()


def test_exchange_out_of_stock_tells_the_clerk_and_refund_still_works(delivered_order, catalog,
                                                                      warehouse):
    order = delivered_order(shirts=1, mugs=0)
    rma = ask(order, quantity=1, resolution="exchange", exchange=catalog["large"])
    services.approve_return(return_id=rma.pk, method="drop_off")
    services.receive_return(return_id=rma.pk)
    inspect_all(rma, restock=False)
    from inventory.services import adjust_stock_count

    adjust_stock_count(variant=catalog["large"], warehouse=warehouse, counted=0,
                       reason="cycle count")
    with pytest.raises(OutOfStock, match="Refund RMA-"):
        services.exchange_return(return_id=rma.pk)
    rma.refresh_from_db()
    assert rma.state == State.INSPECTED and rma.replacement_order is None
    assert Order.objects.count() == 1
    services.refund_return(return_id=rma.pk)
    rma.refresh_from_db()
    assert rma.state == State.REFUNDED


def test_rejection_sends_the_message(delivered_order):
    order = delivered_order()
    rma = ask(order)
    with pytest.raises(ReturnInvalid, match="why"):
        services.reject_return(return_id=rma.pk, message="  ")
    mail.outbox.clear()
    services.reject_return(return_id=rma.pk, message="Worn items can't be returned.")
    rma.refresh_from_db()
    assert rma.state == State.REJECTED
    assert "Worn items" in mail.outbox[0].body
    # A rejected return frees its units for another request.
    assert ask(order).state == State.REQUESTED


# --- Refusals -------------------------------------------------------------------------------

def nothing_written():
    return not ReturnRequest.objects.exists() and not ReturnLine.objects.exists()


def test_outside_the_window_is_refused(delivered_order):
    order = delivered_order(days_ago=31)
    with pytest.raises(ReturnInvalid, match="return window closed"):
        ask(order)
    assert nothing_written()


def test_final_sale_is_refused(delivered_order, catalog):
    catalog["shirt"].final_sale = True
    catalog["shirt"].save()
    order = delivered_order()
    with pytest.raises(ReturnInvalid, match="Final sale"):
        ask(order)
    assert nothing_written()
    # The mug on the same order can still go back.
    assert ask(order, sku="MUG").state == State.REQUESTED


def test_too_many_units_are_refused_counting_earlier_returns(delivered_order):
    order = delivered_order(shirts=2)
    with pytest.raises(ReturnInvalid, match="only 2 can be returned"):
        ask(order, quantity=3)
    ask(order, quantity=1)
    with pytest.raises(ReturnInvalid, match="only 1 can be returned"):
        ask(order, quantity=2)
    assert ReturnRequest.objects.count() == 1


def test_an_undelivered_line_is_refused(delivered_order):
    order = delivered_order(delivered=False)
    with pytest.raises(ReturnInvalid, match="Not delivered yet"):
        ask(order)
    # Shipped but not yet delivered is still not returnable.
    for shipment in Shipment.objects.filter(order=order):
        to_shipped(shipment)
    with pytest.raises(ReturnInvalid, match="Not delivered yet"):
        ask(order)
    assert nothing_written()


def test_another_orders_line_is_not_found(delivered_order):
    mine = delivered_order(email="ada@example.com")
    theirs = delivered_order(email="bob@example.com")
    with pytest.raises(NotFound):
        services.request_return(order_id=mine.pk, resolution="refund", lines=[RequestedLine(
            order_line_id=line_of(theirs, "SHIRT-M").pk, quantity=1, reason="changed_mind")])
    assert nothing_written()


@pytest.mark.parametrize("quantity, reason, note, words", [
    (-1, "changed_mind", "", "whole number"),
    (1, "bogus", "", "Choose a reason"),
    (1, "other", "  ", "Tell us the reason"),
])
def test_bad_lines_say_what_is_wrong(delivered_order, quantity, reason, note, words):
    order = delivered_order()
    with pytest.raises(ReturnInvalid, match=words):
        ask(order, quantity=quantity, reason=reason, note=note)
    assert nothing_written()


def test_exchange_needs_a_sibling_variant(delivered_order, catalog):
    order = delivered_order()
    with pytest.raises(ReturnInvalid, match="what you would like instead"):
        ask(order, resolution="exchange")
    with pytest.raises(ReturnInvalid, match="isn't available"):
        ask(order, resolution="exchange", exchange=catalog["mug"])
    with pytest.raises(ReturnInvalid, match="isn't available"):
        ask(order, resolution="exchange", exchange=catalog["medium"])  # the same one
    assert nothing_written()


def test_nothing_chosen_or_bad_resolution(delivered_order):
    order = delivered_order()
    with pytest.raises(ReturnInvalid, match="at least one"):
        ask(order, quantity=0)
    with pytest.raises(ReturnInvalid, match="refund or an exchange"):
        ask(order, resolution="store_credit")
    assert nothing_written()


def test_illegal_moves_are_refused(delivered_order):
    order = delivered_order()
    rma = ask(order)
    with pytest.raises(InvalidTransition):
        services.receive_return(return_id=rma.pk)
    with pytest.raises(InvalidTransition):
        inspect_all(rma)
    with pytest.raises(InvalidTransition):
        services.refund_return(return_id=rma.pk)
    with pytest.raises(NotFound):
        services.receive_by_scan(code="RMA-999999")
    with pytest.raises(NotFound):
        services.receive_by_scan(code="RMA\x00")
    services.approve_return(return_id=rma.pk)
    with pytest.raises(InvalidTransition):
        services.approve_return(return_id=rma.pk)
    services.receive_return(return_id=rma.pk)
    with pytest.raises(ReturnInvalid, match="choose its condition"):
        services.inspect_return(return_id=rma.pk, inspections=[])
    line = rma.lines.get()
    with pytest.raises(ReturnInvalid, match="only resellable"):
        services.inspect_return(return_id=rma.pk, inspections=[
            Inspection(return_line_id=line.pk, condition="damaged", restock=True)])
    rma.refresh_from_db()
    assert rma.state == State.RECEIVED
    assert not StockMovement.objects.filter(reference=rma.number).exists()


def test_returnable_lines_reads_in_four_queries(delivered_order, django_assert_num_queries):
    order = delivered_order(shirts=2, mugs=1)
    with django_assert_num_queries(4):
        rows = returnable_lines(order)
    assert [row.returnable for row in rows] == [2, 1]
    assert [v.sku for v in rows[0].exchange_options] == ["SHIRT-L"]


def test_the_return_label_decodes_to_its_tracking_number(delivered_order):
    order = delivered_order()
    rma = ask(order)
    services.approve_return(return_id=rma.pk)
    rma.refresh_from_db()
    pdf = pypdfium2.PdfDocument(rma.label.open("rb").read())
    image = pdf[0].render(scale=3).to_pil()
    decoded = [result.text for result in zxingcpp.read_barcodes(image)]
    assert rma.tracking_number in decoded
    text = pdf[0].get_textpage().get_text_range()
    assert "Returns" in text and rma.number in text


def test_sweep_requeues_lost_work(delivered_order, monkeypatch):
    from returns import receivers

    order = delivered_order()
    monkeypatch.setattr(receivers, "enqueue", lambda *args: None)  # the broker is down
    rma = ask(order)
    services.approve_return(return_id=rma.pk)
    ReturnRequest.objects.filter(pk=rma.pk).update(
        approved_at=rma.created_at - timedelta(hours=1))
    assert not ReturnRequest.objects.get(pk=rma.pk).tracking_number
    result = tasks.sweep_return_work()
    assert result["labels"] == 1
    rma.refresh_from_db()
    assert rma.tracking_number  # the label task ran (eagerly) from the sweep
