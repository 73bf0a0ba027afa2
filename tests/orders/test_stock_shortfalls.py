"""Payments that arrive after the order's stock was released, the stock shortfalls queue and
each way out of it, and unpaid orders that keep their stock while the payment is live."""

from datetime import timedelta
from functools import partial

import pytest
from django.core import mail
from django.utils import timezone

from fulfillment.models import Shipment
from inventory.models import StockLevel
from inventory.services import adjust_stock_count, receive_stock
from kernel.errors import InvalidTransition
from orders import services as order_services
from orders import tasks as order_tasks
from orders.exceptions import OutOfStock
from orders.models import Order, StockShortfall
from payments import services as payment_services
from payments.models import Payment
from tests.concurrency import run_concurrently
from tests.factories import ProductFactory, WarehouseFactory, make_variant, ready_cart

# Transactional: after-commit work (receipts, shipments, emails) runs as in production.
pytestmark = pytest.mark.django_db(transaction=True)
AUTH_CARD = {"number": "4000002500003155", "exp_month": "12", "exp_year": "2030",
             "cvc": "123"}
Exc = StockShortfall.State


@pytest.fixture
def shop(monkeypatch):
    """A lamp with ``stock`` units in the east warehouse; the west one holds none."""
    from payments import receivers

    # A canceled order's open payments are voided by a task; here the payment must stay
    # open, as it does when the shopper's bank is slower than the void.
    monkeypatch.setattr(receivers, "enqueue", lambda *args: None)
    east = WarehouseFactory(code="east", name="East DC", priority=1)
    west = WarehouseFactory(code="west", name="West Store", priority=2)
    lamp = make_variant(ProductFactory(title="Desk Lamp"), sku="LAMP", price="30.00",
                        stock=1, warehouse=east)
    return {"east": east, "west": west, "lamp": lamp}


def expired_order(lamp, email="late@example.com", quantity=1):
    """An order whose shopper is stuck on the authentication page until it expires."""
    order = order_services.place_order(cart=ready_cart(variants={lamp: quantity}, email=email))
    payment_services.start_payment(order=order, payment_data=AUTH_CARD)
    payment = order.payments.get()
    assert payment.state == Payment.State.REQUIRES_ACTION
    assert order_services.cancel_expired_unpaid_order(
        order_id=order.pk, now=timezone.now() + timedelta(hours=2))
    order.refresh_from_db()
    assert order.status == Order.Status.CANCELED
    return order, payment


def pay_late(payment):
    """The bank says yes after all (a webhook, or the authentication finished)."""
    return payment_services.move_payment(payment=payment, state=Payment.State.CAPTURED,
                                         amount=payment.amount)


def level(variant, warehouse):
    return StockLevel.objects.get(variant=variant, warehouse=warehouse)


def test_a_late_payment_with_stock_left_reopens_and_ships(shop):
    order, payment = expired_order(shop["lamp"])
    assert level(shop["lamp"], shop["east"]).allocated == 0
    pay_late(payment)
    order.refresh_from_db()
    assert order.status == Order.Status.OPEN and order.payment_status == "paid"
    assert level(shop["lamp"], shop["east"]).allocated == 1
    assert not StockShortfall.objects.exists()
    assert Shipment.objects.filter(order=order).count() == 1
    assert order.events.filter(type="late_payment").exists()


def test_a_late_payment_without_stock_goes_to_the_queue_and_ships_nothing(shop):
    order, payment = expired_order(shop["lamp"])
    other = order_services.place_order(cart=ready_cart(variants={shop["lamp"]: 1},
                                                       email="quick@example.com"))
    assert other.status == Order.Status.OPEN  # took the released unit
    pay_late(payment)
    order.refresh_from_db()
    shortfall = StockShortfall.objects.get(order=order)
    assert shortfall.state == Exc.OPEN and shortfall.value_at_risk == order.total
    assert shortfall.short_lines == [{"line": order.lines.get().pk, "sku": "LAMP",
                                      "wanted": 1, "free": 0}]
    assert order.status == Order.Status.OPEN and order.payment_status == "paid"
    assert not order.lines.get().allocations.exists()
    assert not Shipment.objects.filter(order=order).exists()
    lamp = level(shop["lamp"], shop["east"])
    assert lamp.allocated == 1 == lamp.on_hand  # never oversold


@pytest.mark.postgres
def test_concurrent_late_payments_for_the_last_unit(shop):
    first, first_payment = expired_order(shop["lamp"], email="one@example.com")
    second, second_payment = expired_order(shop["lamp"], email="two@example.com")
    outcomes = run_concurrently(partial(pay_late, first_payment),
                                partial(pay_late, second_payment))
    assert [o.error for o in outcomes] == [None, None]
    queued = list(StockShortfall.objects.values_list("order_id", flat=True))
    assert len(queued) == 1 and queued[0] in {first.pk, second.pk}
    lamp = level(shop["lamp"], shop["east"])
    assert lamp.allocated == 1 == lamp.on_hand
    assert Order.objects.filter(payment_status="paid", status="open").count() == 2


def queued_order(shop):
    order, payment = expired_order(shop["lamp"])
    order_services.place_order(cart=ready_cart(variants={shop["lamp"]: 1},
                                               email="quick@example.com"))
    pay_late(payment)
    return order, StockShortfall.objects.get(order=order)


def test_backorder_emails_the_date_and_ships_when_stock_arrives(shop):
    order, shortfall = queued_order(shop)
    mail.outbox.clear()
    with pytest.raises(order_services.StockShortfallError, match="after today"):
        order_services.backorder(shortfall_id=shortfall.pk, expected_on=timezone.now().date())
    expected = timezone.now().date() + timedelta(days=9)
    order_services.backorder(shortfall_id=shortfall.pk, expected_on=expected)
    shortfall.refresh_from_db()
    assert shortfall.state == Exc.BACKORDERED and shortfall.expected_on == expected
    assert len(mail.outbox) == 1 and "backorder" in mail.outbox[0].subject
    assert f"{expected:%B} {expected.day}, {expected.year}" in mail.outbox[0].body
    assert order_tasks.allocate_backorders() == 0  # still no stock
    receive_stock(variant=shop["lamp"], warehouse=shop["east"], quantity=3, reference="PO-1")
    assert order_tasks.allocate_backorders() == 1
    shortfall.refresh_from_db()
    assert shortfall.state == Exc.RESOLVED and shortfall.resolution == "reallocated"
    assert Shipment.objects.filter(order=order).count() == 1


def test_fulfil_from_another_warehouse(shop):
    order, shortfall = queued_order(shop)
    with pytest.raises(OutOfStock):
        order_services.fulfil_from_warehouse(shortfall_id=shortfall.pk,
                                             warehouse_id=shop["west"].pk)
    shortfall.refresh_from_db()
    assert shortfall.state == Exc.OPEN
    receive_stock(variant=shop["lamp"], warehouse=shop["west"], quantity=2, reference="T-1")
    order_services.fulfil_from_warehouse(shortfall_id=shortfall.pk,
                                         warehouse_id=shop["west"].pk)
    shortfall.refresh_from_db()
    assert shortfall.resolution == "other_warehouse"
    assert level(shop["lamp"], shop["west"]).allocated == 1
    assert Shipment.objects.get(order=order).warehouse == shop["west"]


def test_substitute_accepted_by_the_shopper(shop, client):
    order, shortfall = queued_order(shop)
    brass = make_variant(shop["lamp"].product, sku="LAMP-BRASS", price="45.00",
                         options={"Finish": "Brass"}, stock=2, warehouse=shop["east"])
    mail.outbox.clear()
    order_services.offer_substitute(shortfall_id=shortfall.pk, line_id=order.lines.get().pk,
                                    variant_id=brass.pk)
    assert len(mail.outbox) == 1
    link = next(word for word in mail.outbox[0].body.split() if "/substitute/" in word)
    page = client.get(link)
    assert page.status_code == 200 and b"LAMP-BRASS" in page.content
    response = client.post(link, {"answer": "accept"})
    assert response.status_code == 302
    line = order.lines.get()
    assert line.sku == "LAMP-BRASS" and str(line.total) == "30.00"  # the price paid
    shortfall.refresh_from_db()
    assert shortfall.resolution == "substituted"
    assert Shipment.objects.filter(order=order).count() == 1
    assert client.post(link, {"answer": "accept"}).status_code == 409  # answered already
    assert client.get(link.replace("/substitute/", "/substitute/x")).status_code == 404


def test_substitute_declined_goes_back_to_staff(shop, client):
    order, shortfall = queued_order(shop)
    other = make_variant(shop["lamp"].product, sku="LAMP-2", price="30.00",
                         options={"Finish": "Black"}, stock=1, warehouse=shop["east"])
    order_services.offer_substitute(shortfall_id=shortfall.pk, line_id=order.lines.get().pk,
                                    variant_id=other.pk)
    order_services.answer_substitute(shortfall_id=shortfall.pk, accept=False)
    shortfall.refresh_from_db()
    assert shortfall.state == Exc.OPEN and "declined" in shortfall.note
    assert order.lines.get().sku == "LAMP"


def test_cancel_and_refund_with_an_apology(shop):
    order, shortfall = queued_order(shop)
    mail.outbox.clear()
    payment_services.cancel_stock_shortfall(shortfall_id=shortfall.pk)
    order.refresh_from_db()
    shortfall.refresh_from_db()
    assert order.status == Order.Status.CANCELED and order.payment_status == "refunded"
    assert order.payments.get().refunded_amount == order.total
    assert shortfall.state == Exc.CANCELED
    assert [m.subject for m in mail.outbox if "sorry" in m.subject.lower()]
    with pytest.raises(InvalidTransition):
        payment_services.cancel_stock_shortfall(shortfall_id=shortfall.pk)


def test_actions_on_a_closed_exception_are_refused(shop):
    order, shortfall = queued_order(shop)
    payment_services.cancel_stock_shortfall(shortfall_id=shortfall.pk)
    for action in (lambda: order_services.backorder(
                       shortfall_id=shortfall.pk,
                       expected_on=timezone.now().date() + timedelta(days=3)),
                   lambda: order_services.offer_substitute(
                       shortfall_id=shortfall.pk, line_id=order.lines.get().pk,
                       variant_id=shop["lamp"].pk)):
        with pytest.raises(InvalidTransition):
            action()


def test_a_live_payment_keeps_its_hold_past_the_deadline(shop):
    order = order_services.place_order(cart=ready_cart(variants={shop["lamp"]: 1}))
    payment_services.start_payment(order=order, payment_data=AUTH_CARD)
    order.refresh_from_db()
    soon = order.payment_due_by - timedelta(minutes=1)
    assert payment_services.keep_live_holds(now=soon) == 1
    order.refresh_from_db()
    assert order.payment_due_by > soon + timedelta(minutes=20)
    # Never past the cap after placing, and not at all once the payment is over.
    late = order.placed_at + timedelta(minutes=500)
    assert payment_services.keep_live_holds(now=late) == 0
    payment = order.payments.get()
    Payment.objects.filter(pk=payment.pk).update(state=Payment.State.FAILED)
    assert payment_services.keep_live_holds(now=soon) == 0


def test_no_oversell_after_the_exception_resolves(shop):
    order, shortfall = queued_order(shop)
    adjust_stock_count(variant=shop["lamp"], warehouse=shop["east"], counted=1,
                       reason="recount")
    assert not order_services.retry_allocation(shortfall_id=shortfall.pk)
    lamp = level(shop["lamp"], shop["east"])
    assert lamp.allocated <= lamp.on_hand


def test_backorder_takes_its_date_from_an_open_purchase_order(shop):
    from decimal import Decimal

    from inventory.models import Supplier
    from inventory.services import LineRequest, create_purchase_order, send_purchase_order

    order, shortfall = queued_order(shop)
    with pytest.raises(order_services.StockShortfallError, match="No open purchase order"):
        order_services.backorder(shortfall_id=shortfall.pk)
    supplier = Supplier.objects.create(name="Acme", contact_email="po@acme.example",
                                       lead_time_days=5, currency="USD")
    arriving = timezone.localdate() + timedelta(days=12)
    purchase_order = create_purchase_order(
        supplier_id=supplier.pk, warehouse_id=shop["east"].pk, expected_on=arriving,
        lines=[LineRequest(variant_id=shop["lamp"].pk, quantity=5, unit_cost=Decimal("9"))])
    send_purchase_order(purchase_order_id=purchase_order.pk)
    order_services.backorder(shortfall_id=shortfall.pk)
    shortfall.refresh_from_db()
    assert shortfall.state == Exc.BACKORDERED and shortfall.expected_on == arriving


def test_an_order_canceled_from_its_page_closes_its_shortfall_and_gets_no_stock(shop):
    from returns.services import cancel_order_or_return

    order, shortfall = queued_order(shop)
    cancel_order_or_return(order_id=order.pk, reason="No stock coming")
    shortfall.refresh_from_db()
    order.refresh_from_db()
    assert order.status == Order.Status.CANCELED and order.payment_status == "refunded"
    assert (shortfall.state, shortfall.resolution) == (Exc.CANCELED, "canceled")
    assert order.events.filter(type="stock_shortfall",
                               message__contains="the order was canceled").exists()
    # Stock arrives: the backorder beat and staff's retry leave the canceled order alone.
    receive_stock(variant=shop["lamp"], warehouse=shop["east"], quantity=3, reference="PO-2")
    assert order_tasks.allocate_backorders() == 0
    assert order_services.retry_allocation(shortfall_id=shortfall.pk) is False
    assert not order.lines.get().allocations.exists()
    assert level(shop["lamp"], shop["east"]).allocated == 1  # the other shopper's unit only


def test_a_shortfall_whose_order_was_refunded_elsewhere_is_closed_not_allocated(shop):
    order, shortfall = queued_order(shop)
    receive_stock(variant=shop["lamp"], warehouse=shop["west"], quantity=3, reference="T-2")
    # Refunded in full at the gateway (its dashboard): the order stays open, owed nothing.
    payment_services.set_refunded_total(payment=order.payments.get(),
                                        refunded_total=order.total)
    with pytest.raises(InvalidTransition, match="refunded"):
        order_services.fulfil_from_warehouse(shortfall_id=shortfall.pk,
                                             warehouse_id=shop["west"].pk)
    shortfall.refresh_from_db()
    assert (shortfall.state, shortfall.resolution) == (Exc.CANCELED, "canceled")  # committed
    assert level(shop["lamp"], shop["west"]).allocated == 0
    assert not Shipment.objects.filter(order=order).exists()


def test_a_partly_refunded_order_in_the_queue_is_allocated_and_ships(shop):
    order, shortfall = queued_order(shop)
    payment_services.set_refunded_total(payment=order.payments.get(),
                                        refunded_total=order.total / 10)
    order.refresh_from_db()
    assert order.payment_status == "partially_refunded"
    # Refunded at the gateway, outside the shop: held until staff decide; they ship it.
    assert order.risk == "held"
    order_services.release_hold(order_id=order.pk)
    receive_stock(variant=shop["lamp"], warehouse=shop["east"], quantity=1, reference="PO-3")
    assert order_services.retry_allocation(shortfall_id=shortfall.pk) is True
    assert Shipment.objects.filter(order=order).count() == 1


@pytest.mark.postgres
def test_a_retry_against_a_cancel_from_the_order_page_never_leaves_stock_on_it(shop):
    """Stock arrived: the backorder retry and staff canceling the order from its page run
    at once. Both lock the order before the shortfall, so neither deadlocks, and however
    they meet the canceled order ends with no stock and its shortfall closed."""
    from returns.services import cancel_order_or_return

    for round_number in range(3):
        order, payment = expired_order(shop["lamp"], email=f"r{round_number}@example.com")
        order_services.place_order(cart=ready_cart(variants={shop["lamp"]: 1},
                                                   email=f"q{round_number}@example.com"))
        pay_late(payment)
        shortfall = StockShortfall.objects.get(order=order)
        receive_stock(variant=shop["lamp"], warehouse=shop["east"], quantity=1,
                      reference=f"PO-R{round_number}")
        retry, cancel = run_concurrently(
            partial(order_services.retry_allocation, shortfall_id=shortfall.pk),
            partial(cancel_order_or_return, order_id=order.pk, reason="Changed mind"))
        assert cancel.ok and retry.finished and retry.error is None, (retry, cancel)
        order.refresh_from_db()
        shortfall.refresh_from_db()
        assert order.status == Order.Status.CANCELED and order.payment_status == "refunded"
        assert not order.lines.get().allocations.exists()
        assert not shortfall.is_open
        lamp = level(shop["lamp"], shop["east"])
        assert lamp.allocated == lamp.on_hand - 1  # the one unit back on sale
