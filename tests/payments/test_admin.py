"""Payments in Django admin: read-only records whose only changes are actions and buttons
that call the services, each refusal a message, each guarded by a permission. (The order
back office is tested in tests/backoffice.)"""

from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from orders.models import Order
from payments import services
from payments.models import Payment, StripeEvent

from .conftest import (
    GOODWILL,
    PAYMENTS,
    act,
    count_queries,
    messages_of,
    place,
    snapshot,
    staff_with,
)

pytestmark = pytest.mark.django_db


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
    # The open order lives on its authorization: the void is refused (cancel the order).
    refused_void = manager.post(reverse("admin:payments_payment_void", args=[to_void.pk]),
                                follow=True)
    assert any("Cancel the order instead" in m for m in messages_of(refused_void))
    assert Payment.objects.get(pk=to_void.pk).state == Payment.State.AUTHORIZED
    Order.objects.filter(pk=second.pk).update(cancel_requested_at=timezone.now())
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
                            {"amount": amount, "reason": "Scratched", **GOODWILL})
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
    response = manager.post(url, {"amount": "15.00", "reason": "Scratched", **GOODWILL},
                            follow=True)
    assert f"Refunded $15.00 on order {order.number}." in messages_of(response)
    payment.refresh_from_db()
    assert (payment.state, payment.refunded_amount) == ("partially_refunded", Decimal("15"))
    too_much = manager.post(url, {"amount": "30.01", "reason": "x", **GOODWILL})
    assert too_much.context["form"].errors["amount"] == [
        "At most $30.00 can be refunded on this payment."]
    manager.post(url, {"amount": "30", "reason": "Returned", **GOODWILL})
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
