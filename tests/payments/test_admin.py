"""Orders and payments in Django admin: read-only records whose only changes are actions
and buttons that call the services, each refusal a message, each guarded by a permission."""

from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from inventory.models import StockLevel
from orders import services as order_services
from orders.models import Allocation, Order, OrderEvent
from payments import services
from payments.models import GatewayCall, Payment, StripeEvent
from tests.factories import ProductFactory, UserFactory, make_variant, ready_cart

pytestmark = pytest.mark.django_db
CARD = {"number": "4242424242424242", "exp_month": "12", "exp_year": "2030", "cvc": "123"}
ORDERS = reverse("admin:orders_order_changelist")
PAYMENTS = reverse("admin:payments_payment_changelist")
MANAGER_PERMISSIONS = ("view_order", "change_order", "view_payment", "change_payment")


@pytest.fixture
def lamp():
    return make_variant(ProductFactory(title="Desk Lamp"), price="40.00", sku="LAMP-1",
                        stock=100)


def staff_with(*codenames, username="manager"):
    user = UserFactory(username=username, is_staff=True)
    user.user_permissions.add(*Permission.objects.filter(
        content_type__app_label__in=["orders", "payments"], codename__in=codenames))
    return user


@pytest.fixture
def manager(client):
    """Staff with the order and payment permissions, and nothing else."""
    client.force_login(staff_with(*MANAGER_PERMISSIONS))
    return client


@pytest.fixture
def viewer(client):
    """Staff who may look at orders and payments but change nothing."""
    client.force_login(staff_with("view_order", "view_payment", "view_stripeevent",
                                  username="viewer"))
    return client


@pytest.fixture
def authorize_only(monkeypatch):
    """The offline gateway captures at once; make it authorize only, as manual capture does."""
    monkeypatch.setattr(services.starting, "_capture_automatically", lambda gateway: False)


def place(variant, *, pay=True, email="ada@example.com", quantity=1) -> Order:
    order = order_services.place_order(
        cart=ready_cart(variants={variant: quantity}, email=email))
    if pay:
        services.start_payment(order=order, payment_data=CARD)
    return Order.objects.get(pk=order.pk)


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def act(client, action, *orders, url=ORDERS):
    return client.post(url, {"action": action, "_selected_action": [o.pk for o in orders]},
                       follow=True)


def count_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def snapshot(order: Order):
    """Everything an order admin action could change about one order."""
    order = Order.objects.get(pk=order.pk)
    return (order.status, order.payment_status, order.risk, order.events.count(),
            list(order.payments.values_list("state", "captured_amount", "refunded_amount")),
            list(Allocation.objects.filter(order_line__order=order)
                 .values_list("stock_level_id", "quantity")),
            GatewayCall.objects.filter(payment__order=order).count())


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
    with pytest.raises(services.PaymentDeclined):
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


def test_a_shipped_order_is_not_refunded_by_a_cancel_it_cannot_finish(manager, lamp):
    order = place(lamp, quantity=2)
    line = order.lines.get()
    order_services.record_shipped(order_id=order.pk, message="Shipped one",
                                  lines=[(line.pk, line.allocations.get().stock_level_id, 1)])
    before = snapshot(order)
    response = act(manager, "cancel_orders", order)
    assert any("has shipped items" in m for m in messages_of(response))
    assert snapshot(order) == before
    assert Payment.objects.get().refunded_amount == 0


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


# --- Payments -------------------------------------------------------------------------------


def test_the_payment_list_costs_the_same_queries_for_one_payment_and_thirty(
        manager, lamp, django_assert_num_queries):
    place(lamp)
    count_queries(manager, PAYMENTS)
    one = count_queries(manager, PAYMENTS)
    for n in range(29):
        place(lamp, email=f"p{n}@example.com")
    with django_assert_num_queries(one):
        response = manager.get(PAYMENTS)
    html = response.content.decode()
    assert response.context["cl"].result_count == 30
    order = Order.objects.first()
    assert reverse("admin:orders_order_change", args=[order.pk]) in html
    for text in ("Offline test gateway", "Captured", "$45.00", "$0.00", "Visa •••• 4242"):
        assert text in html, text


def test_the_payment_page_shows_its_gateway_calls_read_only(manager, lamp,
                                                            django_assert_num_queries):
    place(lamp)
    payment = Payment.objects.get()
    url = reverse("admin:payments_payment_change", args=[payment.pk])
    count_queries(manager, url)
    few = count_queries(manager, url)
    html = manager.get(url).content.decode()
    call = payment.calls.get()
    for text in (call.idempotency_key, "Authorize", "Succeeded", "$45.00", "Refund…", "Visa"):
        assert text in html, text
    assert 'name="_save"' not in html and "client_secret" not in html
    assert "Capture</button>" not in html and "Void</button>" not in html
    for amount in ("1.00", "2.00", "3.00"):
        services.refund_payment(payment=payment, amount=Decimal(amount))
    with django_assert_num_queries(few):
        assert manager.get(url).status_code == 200


def test_capture_and_void_from_the_payment_admin(manager, lamp, authorize_only):
    first, second = place(lamp, email="a@example.com"), place(lamp, email="b@example.com")
    to_capture, to_void = Payment.objects.get(order=first), Payment.objects.get(order=second)
    page = manager.get(reverse("admin:payments_payment_change", args=[to_void.pk])).content
    assert b"Capture</button>" in page and b"Void</button>" in page
    response = act(manager, "capture_selected", to_capture, url=PAYMENTS)
    assert f"Payment of order {first.number} captured." in messages_of(response)
    manager.post(reverse("admin:payments_payment_void", args=[to_void.pk]))
    assert Payment.objects.get(pk=to_capture.pk).state == Payment.State.CAPTURED
    assert Payment.objects.get(pk=to_void.pk).state == Payment.State.CANCELED
    assert Order.objects.get(pk=second.pk).payment_status == Order.PaymentStatus.VOIDED
    before = snapshot(first)
    refused = act(manager, "void_selected", to_capture, url=PAYMENTS)
    assert any("captured; it cannot become canceled" in m for m in messages_of(refused))
    again = manager.post(reverse("admin:payments_payment_capture", args=[to_capture.pk]),
                         follow=True)
    assert [m.level_tag for m in again.context["messages"]] == ["error"]
    assert snapshot(first) == before


def test_the_refund_action_opens_the_refund_page_for_one_payment(manager, lamp):
    place(lamp, email="a@example.com")
    place(lamp, email="b@example.com")
    one, two = Payment.objects.order_by("pk")
    response = act(manager, "refund_selected", one, url=PAYMENTS)
    assert response.redirect_chain[-1][0] == reverse("admin:payments_payment_refund",
                                                     args=[one.pk])
    assert response.context["form"]["amount"].value() == Decimal("45.00")
    both = act(manager, "refund_selected", one, two, url=PAYMENTS)
    assert "Refund one payment at a time: select just one." in messages_of(both)


@pytest.mark.parametrize("amount, error", [
    ("45.01", "At most $45.00 can be refunded on this payment."),
    ("abc", "Enter an amount, like 12.50."),
    ("NaN", "Enter an amount, like 12.50."),
    ("", "This field is required."),
    ("0", "Enter an amount above zero."),
    ("-3", "Enter an amount above zero."),
    ("1.005", "Enter the amount in whole cents."),
])
def test_a_refund_the_form_refuses_is_shown_next_to_the_amount_and_refunds_nothing(
        manager, lamp, amount, error):
    order = place(lamp)  # 40.00 + 5.00 shipping
    payment = Payment.objects.get()
    before = snapshot(order)
    response = manager.post(reverse("admin:payments_payment_refund", args=[payment.pk]),
                            {"amount": amount, "reason": "Scratched"})
    assert response.status_code == 200
    assert response.context["form"].errors["amount"] == [error]
    assert b'class="errorlist' in response.content
    assert snapshot(order) == before


def test_refunds_up_to_what_was_captured(manager, lamp):
    order = place(lamp)
    payment = Payment.objects.get()
    url = reverse("admin:payments_payment_refund", args=[payment.pk])
    page = manager.get(url)
    assert page.status_code == 200 and b'<label for="id_amount"' in page.content
    assert b"At most $45.00" in page.content
    response = manager.post(url, {"amount": "15.00", "reason": "Scratched"}, follow=True)
    assert f"Refunded $15.00 on order {order.number}." in messages_of(response)
    payment.refresh_from_db()
    assert (payment.state, payment.refunded_amount) == ("partially_refunded", Decimal("15"))
    too_much = manager.post(url, {"amount": "30.01", "reason": "x"})
    assert too_much.context["form"].errors["amount"] == [
        "At most $30.00 can be refunded on this payment."]
    manager.post(url, {"amount": "30", "reason": "Returned"})
    payment.refresh_from_db()
    assert (payment.state, payment.refunded_amount) == ("refunded", Decimal("45"))
    assert Order.objects.get(pk=order.pk).payment_status == Order.PaymentStatus.REFUNDED
    done = manager.get(url, follow=True)
    assert "This payment is refunded; there is nothing to refund." in messages_of(done)


def test_stripe_events_are_a_read_only_log(manager, client):
    StripeEvent.objects.create(event_id="evt_123", type="payment_intent.succeeded",
                               object_id="pi_456", payload={"id": "evt_123", "amount": 4500},
                               result="captured")
    client.force_login(staff_with("view_stripeevent", username="auditor"))
    listing = client.get(reverse("admin:payments_stripeevent_changelist"))
    html = listing.content.decode()
    for text in ("evt_123", "payment_intent.succeeded", "pi_456", "captured"):
        assert text in html
    event = StripeEvent.objects.get()
    page = client.get(reverse("admin:payments_stripeevent_change", args=[event.pk]))
    assert page.status_code == 200 and b"&quot;amount&quot;: 4500" in page.content
    assert client.get(reverse("admin:payments_stripeevent_add")).status_code == 403
    assert client.post(reverse("admin:payments_stripeevent_delete", args=[event.pk]),
                       {"post": "yes"}).status_code == 403
    assert StripeEvent.objects.count() == 1
