"""Orders in Django admin: read-only records whose only changes are actions and buttons
that call the services, each refusal a message, each guarded by a permission."""

from decimal import Decimal

import pytest
from django.urls import reverse

from inventory.models import StockLevel
from orders import services as order_services
from orders.models import Order, OrderEvent
from payments import services
from payments.exceptions import PaymentDeclined
from payments.models import Payment
from returns.models import ReturnLine
from tests.factories import ProductFactory, UserFactory, make_variant, ready_cart
from tests.payments.conftest import (
    CARD,
    ORDERS,
    PAYMENTS,
    act,
    count_queries,
    messages_of,
    place,
    snapshot,
)

pytestmark = pytest.mark.django_db


# --- The order list -------------------------------------------------------------------------


def test_the_order_list_costs_the_same_queries_for_one_order_and_thirty(manager, lamp,
                                                                       django_assert_num_queries):
    place(lamp)
    count_queries(manager, ORDERS)  # the session is warm from here on
    one = count_queries(manager, ORDERS)
    for n in range(29):
        place(lamp, email=f"shopper{n}@example.com")
    with django_assert_num_queries(one):
        response = manager.get(ORDERS)
    assert response.context["cl"].result_count == 30
    assert one <= 12


def test_the_order_list_shows_money_statuses_and_customer(manager, lamp):
    customer = UserFactory(username="grace")
    order = order_services.place_order(
        cart=ready_cart(variants={lamp: 2}, email="grace@example.com", user=customer))
    page = manager.get(ORDERS).content.decode()
    for text in (order.number, "grace@example.com", "grace", "$85.00", "Open", "Unpaid",
                 "Unfulfilled", "Normal · score 0"):
        assert text in page, text


def test_held_orders_are_flagged_and_the_held_filter_shows_their_reasons(manager, lamp):
    calm = place(lamp, email="calm@example.com")
    held = place(lamp, email="risky@example.com")
    order_services.hold_for_review(order_id=held.pk, score=85,
                                   reasons=["Billing country DE differs", "3 orders in an hour"])
    response = manager.get(ORDERS, {"risk": "held"})
    page = response.content.decode()
    assert [o.pk for o in response.context["cl"].result_list] == [held.pk]
    assert "order-risk--held" in page and "Held for review · score 85" in page
    assert "Billing country DE differs; 3 orders in an hour" in page
    assert calm.number not in page


def test_orders_are_found_by_number_email_or_the_sku_of_a_line(manager, lamp):
    chair = make_variant(ProductFactory(title="Chair"), price="90.00", sku="CHAIR-9", stock=5)
    with_lamp = place(lamp, email="lamp@example.com", pay=False)
    with_chair = order_services.place_order(
        cart=ready_cart(variants={chair: 1, lamp: 1}, email="chair@example.com"))

    def found(query):
        return {o.pk for o in manager.get(ORDERS, {"q": query}).context["cl"].result_list}

    assert found("CHAIR-9") == {with_chair.pk}
    assert found("LAMP-1") == {with_lamp.pk, with_chair.pk}
    assert found("lamp@example.com") == {with_lamp.pk}
    assert found(with_chair.number) == {with_chair.pk}


def test_the_list_filters_by_each_status_and_date(manager, lamp):
    paid = place(lamp, email="paid@example.com")
    unpaid = place(lamp, pay=False, email="unpaid@example.com")

    def shown(**params):
        return {o.pk for o in manager.get(ORDERS, params).context["cl"].result_list}

    assert shown(payment_status__exact="paid") == {paid.pk}
    assert shown(payment_status__exact="unpaid") == {unpaid.pk}
    assert shown(status__exact="open") == {paid.pk, unpaid.pk}
    assert shown(fulfillment_status__exact="fulfilled") == set()
    assert shown(risk="normal") == {paid.pk, unpaid.pk}
    placed = paid.placed_at
    assert shown(placed_at__year=placed.year, placed_at__month=placed.month) == {paid.pk,
                                                                                 unpaid.pk}


# --- The order page -------------------------------------------------------------------------


def test_the_order_page_shows_addresses_totals_lines_allocations_payments_and_timeline(
        manager, lamp):
    order = place(lamp, quantity=2)
    page = manager.get(reverse("admin:orders_order_change", args=[order.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    payment = Payment.objects.get()
    for text in (
        order.number, "12 Analytical Row", "Portland OR 97201", "United States",  # addresses
        "$80.00", "$5.00", "$85.00",  # subtotal, shipping, total
        "Desk Lamp", "LAMP-1", "2 at main",  # the line and where it is allocated
        "Offline test gateway", "Captured", "Visa •••• 4242", payment.gateway_reference,
        "Authorize $85.00: succeeded",  # the payment's gateway call
        "Order placed", "Payment captured",  # the timeline
        "Cancel order…", "Invoice (PDF)",
    ):
        assert text in html, text
    assert "Capture payment" not in html and "Release from fraud hold" not in html


def test_the_order_page_is_read_only(manager, lamp):
    order = place(lamp)
    url = reverse("admin:orders_order_change", args=[order.pk])
    html = manager.get(url).content.decode()
    assert 'name="_save"' not in html and 'name="email"' not in html
    assert manager.post(url, {"email": "evil@example.com"}).status_code == 403
    assert Order.objects.get(pk=order.pk).email == "ada@example.com"
    assert manager.get(reverse("admin:orders_order_add")).status_code == 403
    assert manager.get(reverse("admin:orders_order_delete", args=[order.pk])).status_code == 403


def test_the_order_page_costs_the_same_queries_for_one_line_and_many(manager, lamp,
                                                                     django_assert_num_queries):
    small = place(lamp)
    url = reverse("admin:orders_order_change", args=[small.pk])
    count_queries(manager, url)
    few = count_queries(manager, url)
    others = [make_variant(ProductFactory(), price="3.00", stock=10) for _ in range(6)]
    big = order_services.place_order(cart=ready_cart(variants={lamp: 3, **{v: 2 for v in others}},
                                                     email="big@example.com"))
    with pytest.raises(PaymentDeclined):
        services.start_payment(order=big, payment_data={**CARD, "number": "4000000000000002"})
    services.start_payment(order=big, payment_data=CARD)
    services.refund_payment(payment=Payment.objects.get(order=big, state="captured"),
                            amount=Decimal("1.00"), reason="Dent", actor=None)
    order_services.hold_for_review(order_id=big.pk, score=70, reasons=["Test"])
    assert big.lines.count() == 7 and big.events.count() > small.events.count()
    with django_assert_num_queries(few):
        response = manager.get(reverse("admin:orders_order_change", args=[big.pk]))
    assert response.status_code == 200


# --- Cancel ---------------------------------------------------------------------------------


def test_cancel_action_on_a_paid_order_refunds_it_and_releases_its_stock(manager, lamp):
    order = place(lamp, quantity=3)
    level = StockLevel.objects.get(variant=lamp)
    assert level.allocated == 3
    response = act(manager, "cancel_orders", order)
    assert f"Order {order.number} canceled: the payment was refunded and its stock released." \
        in messages_of(response)
    order.refresh_from_db()
    assert order.status == Order.Status.CANCELED
    assert order.payment_status == Order.PaymentStatus.REFUNDED
    payment = Payment.objects.get()
    assert payment.state == Payment.State.REFUNDED and payment.refunded_amount == order.total
    level.refresh_from_db()
    assert (level.on_hand, level.allocated) == (100, 0)
    canceled = order.events.get(type=OrderEvent.Type.CANCELED)
    assert canceled.actor.username == "manager"


def test_cancel_action_voids_an_authorized_payment(manager, lamp, authorize_only):
    order = place(lamp)
    act(manager, "cancel_orders", order)
    order.refresh_from_db()
    assert (order.status, order.payment_status) == ("canceled", "voided")
    assert Payment.objects.get().state == Payment.State.CANCELED
    assert StockLevel.objects.get(variant=lamp).allocated == 0


def test_canceling_an_already_canceled_order_is_an_error_and_changes_nothing(manager, lamp):
    order = place(lamp)
    act(manager, "cancel_orders", order)
    before = snapshot(order)
    response = act(manager, "cancel_orders", order)
    assert response.status_code == 200
    assert any(order.number in m and "canceled" in m for m in messages_of(response))
    assert response.context["messages"]._loaded_messages[-1].level_tag == "error"
    assert snapshot(order) == before


def test_a_partly_shipped_order_refunds_only_what_did_not_leave_and_returns_the_rest(
        manager, lamp):
    order = place(lamp, quantity=2)
    line = order.lines.get()
    order_services.record_shipped(order_id=order.pk, message="Shipped one",
                                  lines=[(line.pk, line.allocations.get().stock_level_id, 1)])
    response = act(manager, "cancel_orders", order)
    (message,) = messages_of(response)
    assert message.startswith(f"Order {order.number} had shipped items, so the cancel became "
                              "a return")
    # The unit that left is not refunded by the cancel: a return waits for it.
    line.refresh_from_db()
    assert (line.quantity_fulfilled, line.quantity_canceled) == (1, 1)
    assert not line.allocations.exists()
    assert Payment.objects.get().refunded_amount == line.total / 2
    (return_line,) = ReturnLine.objects.filter(order_line=line)
    assert return_line.quantity == 1 and return_line.return_request.state == "approved"
    assert Order.objects.get(pk=order.pk).status == Order.Status.OPEN


def test_the_cancel_button_asks_for_a_reason_then_cancels(manager, lamp):
    order = place(lamp)
    url = reverse("admin:orders_order_cancel", args=[order.pk])
    form = manager.get(url)
    assert form.status_code == 200
    assert b"refunds $45.00 to the original payment method" in form.content
    assert b'<label for="id_reason"' in form.content
    missing = manager.post(url, {"reason": "  "})
    assert missing.status_code == 200 and "reason" in missing.context["form"].errors
    assert Order.objects.get(pk=order.pk).status == Order.Status.OPEN
    response = manager.post(url, {"reason": "Customer called"}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("admin:orders_order_change",
                                                     args=[order.pk])
    order.refresh_from_db()
    assert (order.status, order.payment_status) == ("canceled", "refunded")
    assert order.events.filter(type="canceled", message="Customer called").exists()
    assert "Cancel order…" not in response.content.decode()  # nothing left to cancel


# --- Capture --------------------------------------------------------------------------------


def test_capture_action_captures_the_authorized_payment(manager, lamp, authorize_only):
    order = place(lamp)
    assert order.payment_status == Order.PaymentStatus.AUTHORIZED
    response = act(manager, "capture_payments", order)
    assert f"Order {order.number}: captured $45.00." in messages_of(response)
    order.refresh_from_db()
    assert order.payment_status == Order.PaymentStatus.PAID
    payment = Payment.objects.get()
    assert payment.state == Payment.State.CAPTURED and payment.captured_amount == Decimal("45")
    assert payment.calls.filter(kind="capture", outcome="succeeded").count() == 1


def test_the_capture_button_shows_on_an_authorized_order_and_captures(manager, lamp,
                                                                      authorize_only):
    order = place(lamp)
    page = manager.get(reverse("admin:orders_order_change", args=[order.pk]))
    assert b"Capture payment" in page.content
    url = reverse("admin:orders_order_capture", args=[order.pk])
    assert manager.get(url).status_code == 405
    response = manager.post(url, follow=True)
    assert f"Order {order.number}: captured $45.00." in messages_of(response)
    assert Order.objects.get(pk=order.pk).payment_status == Order.PaymentStatus.PAID


def test_capturing_an_unpaid_order_is_an_error_and_changes_nothing(manager, lamp):
    unpaid = place(lamp, pay=False)
    before = snapshot(unpaid)
    for response in (act(manager, "capture_payments", unpaid),
                     manager.post(reverse("admin:orders_order_capture", args=[unpaid.pk]),
                                  follow=True)):
        assert response.status_code == 200
        assert f"Order {unpaid.number} has no authorized payment to capture (its payment is " \
               "unpaid)." in messages_of(response)
    assert snapshot(unpaid) == before


def test_one_action_reports_each_order_on_its_own(manager, lamp, authorize_only):
    authorized = place(lamp, email="a@example.com")
    unpaid = place(lamp, pay=False, email="b@example.com")
    response = act(manager, "capture_payments", authorized, unpaid)
    levels = {str(m): m.level_tag for m in response.context["messages"]}
    assert levels[f"Order {authorized.number}: captured $45.00."] == "success"
    assert [tag for text, tag in levels.items() if unpaid.number in text] == ["error"]
    assert Order.objects.get(pk=authorized.pk).payment_status == "paid"
    assert Order.objects.get(pk=unpaid.pk).payment_status == "unpaid"


# --- Fraud hold -----------------------------------------------------------------------------


def test_release_from_hold_by_action_and_by_button(manager, lamp):
    first, second = place(lamp, email="a@example.com"), place(lamp, email="b@example.com")
    for order in (first, second):
        order_services.hold_for_review(order_id=order.pk, score=80, reasons=["Test reason"])
    response = act(manager, "release_holds", first)
    assert f"Order {first.number} released from the fraud hold." in messages_of(response)
    page = manager.get(reverse("admin:orders_order_change", args=[second.pk])).content
    assert b"Release from fraud hold" in page and b"Cancel held order" in page
    manager.post(reverse("admin:orders_order_release", args=[second.pk]))
    assert set(Order.objects.values_list("risk", flat=True)) == {Order.Risk.RELEASED}
    assert OrderEvent.objects.filter(type="released", actor__username="manager").count() == 2
    again = act(manager, "release_holds", first)
    assert f"Order {first.number} is not held for review." in messages_of(again)


def test_cancel_held_orders_cancels_held_ones_and_refuses_the_others(manager, lamp):
    held = place(lamp, email="held@example.com")
    order_services.hold_for_review(order_id=held.pk, score=90, reasons=["Mismatch"])
    normal = place(lamp, email="normal@example.com")
    before = snapshot(normal)
    response = act(manager, "cancel_held_orders", held, normal)
    texts = messages_of(response)
    assert any(m.startswith(f"Order {held.number} canceled") for m in texts)
    assert any(f"Order {normal.number} is not held for review" in m for m in texts)
    assert Order.objects.get(pk=held.pk).status == Order.Status.CANCELED
    assert "Canceled after fraud review by manager." in \
        Order.objects.get(pk=held.pk).events.get(type="canceled").message
    assert snapshot(normal) == before


def test_the_cancel_page_of_a_held_order_proposes_the_fraud_reason(manager, lamp):
    held = place(lamp)
    order_services.hold_for_review(order_id=held.pk, score=90, reasons=["Mismatch"])
    form = manager.get(reverse("admin:orders_order_cancel", args=[held.pk]))
    assert form.context["title"] == f"Cancel held order {held.number}"
    assert form.context["form"]["reason"].value() == "Did not pass fraud review."
    manager.post(reverse("admin:orders_order_cancel", args=[held.pk]),
                 {"reason": "Did not pass fraud review."})
    assert Order.objects.get(pk=held.pk).status == Order.Status.CANCELED


# --- Who may do what ------------------------------------------------------------------------


def test_staff_without_the_change_permission_see_orders_but_no_actions(viewer, lamp):
    order = place(lamp)
    order_services.hold_for_review(order_id=order.pk, score=80, reasons=["Test"])
    listing = viewer.get(ORDERS)
    assert listing.status_code == 200 and b"cancel_orders" not in listing.content
    page = viewer.get(reverse("admin:orders_order_change", args=[order.pk]))
    assert page.status_code == 200 and b"Desk Lamp" in page.content and b"Visa" in page.content
    for text in (b"Cancel order", b"Cancel held order", b"Capture payment",
                 b"Release from fraud hold"):
        assert text not in page.content
    before = snapshot(order)
    for url in ("orders_order_cancel", "orders_order_capture", "orders_order_release"):
        assert viewer.post(reverse(f"admin:{url}", args=[order.pk]),
                           {"reason": "x"}).status_code == 403
    assert viewer.get(reverse("admin:orders_order_cancel", args=[order.pk])).status_code == 403
    refused = act(viewer, "cancel_orders", order)
    assert refused.status_code == 200
    payment = Payment.objects.get()
    for url in ("payments_payment_capture", "payments_payment_void", "payments_payment_refund"):
        assert viewer.post(reverse(f"admin:{url}", args=[payment.pk]),
                           {"amount": "1.00", "reason": "x"}).status_code == 403
    assert b"void_selected" not in viewer.get(PAYMENTS).content
    assert snapshot(order) == before


def test_shoppers_and_visitors_are_sent_to_the_admin_login(client, lamp):
    order = place(lamp)
    payment = Payment.objects.get()
    urls = [ORDERS, reverse("admin:orders_order_change", args=[order.pk]),
            reverse("admin:orders_order_cancel", args=[order.pk]),
            reverse("admin:orders_order_capture", args=[order.pk]),
            reverse("admin:orders_order_release", args=[order.pk]),
            PAYMENTS, reverse("admin:payments_payment_refund", args=[payment.pk]),
            reverse("admin:payments_payment_void", args=[payment.pk])]
    client.force_login(UserFactory(username="shopper"))
    for url in urls:
        response = client.post(url, {"reason": "x", "amount": "1"})
        assert response.status_code == 302 and "/admin/login/" in response["Location"], url
    client.logout()
    assert "/admin/login/" in client.get(ORDERS)["Location"]
    assert snapshot(order)[:2] == ("open", "paid")


def test_an_unknown_order_is_a_404_not_a_500(manager):
    assert manager.get(reverse("admin:orders_order_cancel", args=[999999])).status_code == 404
    assert manager.post(reverse("admin:orders_order_capture", args=[999999])).status_code == 404
    assert manager.post(reverse("admin:payments_payment_void", args=[999999])).status_code \
        == 404
