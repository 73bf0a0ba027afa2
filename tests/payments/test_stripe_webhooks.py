"""Stripe end to end against the fake API: a PaymentIntent per order, webhooks verified and
processed once, in any order, never moving a payment backwards."""

import json
import time
from decimal import Decimal

import pytest
from django.urls import reverse

from orders import services as order_services
from orders.models import Order, OrderEvent
from payments import services
from payments.gateways.stripe import StripeGateway
from payments.models import GatewayCall, Payment, StripeEvent
from tests.factories import ProductFactory, make_variant, ready_cart

from .stripe_fake import make_event, sign_payload

pytestmark = pytest.mark.django_db
URL = "/payments/stripe/webhook/"


@pytest.fixture
def order(stripe_fake):
    variant = make_variant(ProductFactory(), price="30.00", stock=5)
    return order_services.place_order(cart=ready_cart(variants={variant: 1}))  # 35.00


@pytest.fixture
def payment(order):
    return services.start_payment(order=order)


def deliver(client, event, secret="whsec_test", timestamp=None):
    body = json.dumps(event).encode()
    return client.post(URL, body, content_type="application/json",
                       HTTP_STRIPE_SIGNATURE=sign_payload(body, secret, timestamp))


def test_start_payment_creates_one_intent_and_reuses_it(stripe_fake, order):
    payment = services.start_payment(order=order)
    assert payment.state == Payment.State.PENDING
    assert payment.client_secret.startswith(payment.gateway_reference)
    assert stripe_fake.intent(payment.gateway_reference)["amount"] == 3500
    again = services.start_payment(order=order)
    assert again.pk == payment.pk and len(stripe_fake.intents) == 1


def test_succeeded_webhook_captures_and_pays_the_order(client, stripe_fake, payment):
    intent = stripe_fake.succeed(payment.gateway_reference)
    response = deliver(client, make_event("payment_intent.succeeded", intent))
    assert response.status_code == 200
    payment.refresh_from_db()
    assert payment.state == Payment.State.CAPTURED
    assert payment.captured_amount == Decimal("35.00")
    order = Order.objects.get()
    assert order.payment_status == Order.PaymentStatus.PAID and order.paid_at is not None
    assert StripeEvent.objects.get().result.endswith("pending -> captured")


def test_the_same_webhook_five_times_and_out_of_order_captures_once(client, stripe_fake,
                                                                    payment):
    action = stripe_fake.require_action(payment.gateway_reference)
    requires_action = make_event("payment_intent.requires_action", action)
    failed = make_event("payment_intent.payment_failed",
                        stripe_fake.fail(payment.gateway_reference))
    succeeded = make_event("payment_intent.succeeded",
                           stripe_fake.succeed(payment.gateway_reference))
    sequence = [succeeded, requires_action, succeeded, failed, succeeded, succeeded,
                requires_action, succeeded]
    for event in sequence:
        assert deliver(client, event).status_code == 200
    payment.refresh_from_db()
    assert payment.state == Payment.State.CAPTURED
    order = Order.objects.get()
    assert order.payment_status == Order.PaymentStatus.PAID
    assert order.events.filter(type=OrderEvent.Type.PAYMENT_CAPTURED).count() == 1
    assert StripeEvent.objects.count() == 3  # distinct event ids


def test_refunds_reported_by_stripe_are_reconciled(client, stripe_fake, payment):
    intent = stripe_fake.succeed(payment.gateway_reference)
    deliver(client, make_event("payment_intent.succeeded", intent))
    partial = make_event("charge.refunded",
                         stripe_fake.refund_outside(payment.gateway_reference, 1000))
    deliver(client, partial)
    deliver(client, partial)
    payment.refresh_from_db()
    assert (payment.state, payment.refunded_amount) == (Payment.State.PARTIALLY_REFUNDED,
                                                        Decimal("10.00"))
    order = Order.objects.get()
    assert order.payment_status == Order.PaymentStatus.PARTIALLY_REFUNDED
    # Refunded outside the shop while its unit is still to ship: held for staff to decide.
    assert order.risk == Order.Risk.HELD
    assert order.risk_reasons[0] == ("Refunded at the payment gateway ($10.00) with 1 unit(s) "
                                     "still to ship")
    held = order.events.get(type=OrderEvent.Type.HELD)
    assert "$10.00 was refunded at the payment gateway, outside the shop" in held.message
    full = make_event("charge.refunded", stripe_fake.refund_outside(payment.gateway_reference,
                                                                    2500))
    deliver(client, full)
    payment.refresh_from_db()
    assert (payment.state, payment.refunded_amount) == (Payment.State.REFUNDED,
                                                        Decimal("35.00"))
    assert Order.objects.get().payment_status == Order.PaymentStatus.REFUNDED


def test_a_full_refund_that_overtakes_the_success_event(client, stripe_fake, payment):
    intent = stripe_fake.succeed(payment.gateway_reference)
    refunded = make_event("charge.refunded",
                          stripe_fake.refund_outside(payment.gateway_reference, 3500))
    deliver(client, refunded)
    deliver(client, make_event("payment_intent.succeeded", intent))
    payment.refresh_from_db()
    assert payment.state == Payment.State.REFUNDED
    assert payment.captured_amount == payment.refunded_amount == Decimal("35.00")
    order = Order.objects.get()
    assert order.payment_status == Order.PaymentStatus.REFUNDED
    assert order.events.filter(type=OrderEvent.Type.PAYMENT_CAPTURED).count() == 1


def test_a_partial_refund_that_overtakes_the_success_event(client, stripe_fake, payment):
    intent = stripe_fake.succeed(payment.gateway_reference)
    refunded = make_event("charge.refunded",
                          stripe_fake.refund_outside(payment.gateway_reference, 1250))
    deliver(client, refunded)
    deliver(client, make_event("payment_intent.succeeded", intent))
    deliver(client, refunded)
    payment.refresh_from_db()
    assert (payment.state, payment.captured_amount, payment.refunded_amount) == (
        Payment.State.PARTIALLY_REFUNDED, Decimal("35.00"), Decimal("12.50"))
    assert Order.objects.get().payment_status == Order.PaymentStatus.PARTIALLY_REFUNDED


def test_a_canceled_intent_leaves_the_unpaid_order_open_for_another_try(client, stripe_fake,
                                                                         order, payment):
    canceled = make_event("payment_intent.canceled", {**stripe_fake.intent(
        payment.gateway_reference), "status": "canceled"})
    assert deliver(client, canceled).status_code == 200
    payment.refresh_from_db()
    assert payment.state == Payment.State.CANCELED
    order.refresh_from_db()
    assert (order.status, order.payment_status) == (Order.Status.OPEN,
                                                    Order.PaymentStatus.UNPAID)
    assert order.events.filter(type=OrderEvent.Type.PAYMENT_VOIDED).count() == 1
    retry = services.start_payment(order=order)
    assert retry.pk != payment.pk and retry.gateway_reference != payment.gateway_reference
    assert retry.state == Payment.State.PENDING and len(stripe_fake.intents) == 2
    # A success reported for the canceled intent is money taken: it is recorded, never
    # dropped, and the open, unpaid order takes it as its payment.
    deliver(client, make_event("payment_intent.succeeded",
                               {**stripe_fake.intent(payment.gateway_reference),
                                "status": "succeeded", "amount_received": 3500}))
    payment.refresh_from_db()
    assert (payment.state, payment.captured_amount) == (Payment.State.CAPTURED,
                                                        Decimal("35.00"))
    order.refresh_from_db()
    assert order.payment_status == Order.PaymentStatus.PAID


def test_a_dispute_is_recorded_and_holds_the_order(client, stripe_fake, order, payment):
    deliver(client, make_event("payment_intent.succeeded",
                               stripe_fake.succeed(payment.gateway_reference)))
    order.refresh_from_db()
    assert order.risk == Order.Risk.NORMAL
    dispute = {"id": "dp_1", "object": "dispute", "reason": "fraudulent",
               "charge": stripe_fake.intent(payment.gateway_reference)["latest_charge"],
               "payment_intent": payment.gateway_reference, "amount": 3500}
    event = make_event("charge.dispute.created", dispute)
    deliver(client, event)
    deliver(client, event)
    order.refresh_from_db()
    assert order.risk == Order.Risk.HELD
    opened = order.events.get(type=OrderEvent.Type.DISPUTE_OPENED)
    assert "fraudulent" in opened.message
    assert opened.data == {"dispute": "dp_1", "reason": "fraudulent"}
    assert order.events.filter(type=OrderEvent.Type.HELD).count() == 1
    assert order.payment_status == Order.PaymentStatus.PAID


def test_a_dispute_holds_an_order_staff_released_after_an_earlier_review(
        client, stripe_fake, order, payment):
    from orders import services as order_services

    deliver(client, make_event("payment_intent.succeeded",
                               stripe_fake.succeed(payment.gateway_reference)))
    order_services.hold_for_review(order_id=order.pk, score=90, reasons=["Unusual address"])
    order_services.release_hold(order_id=order.pk)
    order.refresh_from_db()
    assert order.risk == Order.Risk.RELEASED
    dispute = {"id": "dp_2", "object": "dispute", "reason": "fraudulent",
               "charge": stripe_fake.intent(payment.gateway_reference)["latest_charge"],
               "payment_intent": payment.gateway_reference, "amount": 3500}
    deliver(client, make_event("charge.dispute.created", dispute))
    order.refresh_from_db()
    assert order.risk == Order.Risk.HELD
    assert order.risk_reasons[0] == "Payment disputed (fraudulent)"
    assert order.events.filter(type=OrderEvent.Type.DISPUTE_OPENED).count() == 1


def test_bad_signature_is_refused_and_changes_nothing(client, stripe_fake, payment):
    event = make_event("payment_intent.succeeded", stripe_fake.succeed(payment.gateway_reference))
    assert deliver(client, event, secret="whsec_forged").status_code == 400
    body = json.dumps(event).encode()
    assert client.post(URL, body, content_type="application/json").status_code == 400
    # Signed by Stripe but unreadable: acknowledged (a retry would bring the same bytes).
    unreadable = client.post(URL, b"{not json", content_type="application/json",
                             HTTP_STRIPE_SIGNATURE=sign_payload(b"{not json", "whsec_test"))
    assert unreadable.status_code == 200
    assert unreadable.json()["result"].startswith("malformed, not applied")
    assert deliver(client, event, timestamp=int(time.time()) - 3600).status_code == 400
    tampered = body.replace(b'"amount": 3500', b'"amount": 1')
    assert tampered != body
    assert client.post(URL, tampered, content_type="application/json",
                       HTTP_STRIPE_SIGNATURE=sign_payload(body, "whsec_test")).status_code == 400
    assert client.get(URL).status_code == 405
    assert not StripeEvent.objects.exists()
    payment.refresh_from_db()
    assert payment.state == Payment.State.PENDING


def test_unknown_events_and_intents_are_acknowledged_and_ignored(client, stripe_fake):
    unknown_type = deliver(client, make_event("customer.created", {"id": "cus_1"}))
    assert unknown_type.status_code == 200
    assert unknown_type.json()["result"] == "ignored: not handled"
    response = deliver(client, make_event("payment_intent.succeeded",
                                          {"id": "pi_unknown", "amount_received": 100}))
    assert response.status_code == 200 and "ignored" in response.json()["result"]
    assert sorted(StripeEvent.objects.values_list("object_id", flat=True)) == [
        "cus_1", "pi_unknown"]
    assert not Payment.objects.exists()


def test_return_url_sync_and_refund_through_the_shop(client, stripe_fake, payment):
    stripe_fake.succeed(payment.gateway_reference)
    synced = services.sync_payment(payment=payment)
    assert synced.state == Payment.State.CAPTURED
    call = services.refund_payment(payment=synced, amount=Decimal("5.00"), reason="damaged")
    assert call.success and call.gateway_reference.startswith("re_")
    synced.refresh_from_db()
    assert synced.refunded_amount == Decimal("5.00")
    # Stripe's own charge.refunded for the refund the shop made adds nothing.
    deliver(client, make_event("charge.refunded", stripe_fake.charge_for(
        payment.gateway_reference)))
    synced.refresh_from_db()
    assert synced.refunded_amount == Decimal("5.00")
    # A refund decided in the shop holds nothing.
    assert Order.objects.get().risk != Order.Risk.HELD


def test_a_refund_at_the_gateway_after_everything_shipped_holds_nothing(client, stripe_fake,
                                                                        order, payment):
    deliver(client, make_event("payment_intent.succeeded",
                               stripe_fake.succeed(payment.gateway_reference)))
    line = order.lines.get()
    type(line).objects.filter(pk=line.pk).update(quantity_fulfilled=line.quantity)
    deliver(client, make_event("charge.refunded",
                               stripe_fake.refund_outside(payment.gateway_reference, 500)))
    order.refresh_from_db()
    assert order.payment_status == Order.PaymentStatus.PARTIALLY_REFUNDED
    assert order.risk != Order.Risk.HELD


def test_two_syncs_in_the_same_second_do_not_collide(stripe_fake, payment):
    stripe_fake.require_action(payment.gateway_reference)
    first = services.sync_payment(payment=payment)
    second = services.sync_payment(payment=first)
    assert second.state == Payment.State.REQUIRES_ACTION
    assert payment.calls.filter(kind=GatewayCall.Kind.CONFIRM).count() == 2


def test_stripes_report_of_our_refund_still_in_flight_is_not_counted_twice(
        client, stripe_fake, payment, monkeypatch):
    deliver(client, make_event("payment_intent.succeeded",
                               stripe_fake.succeed(payment.gateway_reference)))
    make_refund = StripeGateway.refund

    def refund_and_report_before_we_record_it(self, **kwargs):
        result = make_refund(self, **kwargs)
        report = make_event("charge.refunded", stripe_fake.charge_for(payment.gateway_reference))
        assert deliver(client, report).status_code == 200
        return result

    monkeypatch.setattr(StripeGateway, "refund", refund_and_report_before_we_record_it)
    services.refund_payment(payment=payment, amount=Decimal("5.00"))
    payment.refresh_from_db()
    assert (payment.state, payment.refunded_amount) == (Payment.State.PARTIALLY_REFUNDED,
                                                        Decimal("5.00"))
    services.refund_payment(payment=payment, amount=Decimal("30.00"))
    payment.refresh_from_db()
    assert (payment.state, payment.refunded_amount) == (Payment.State.REFUNDED,
                                                        Decimal("35.00"))
    assert Order.objects.get().payment_status == Order.PaymentStatus.REFUNDED


def test_manual_capture_authorizes_then_captures_once(client, stripe_fake, order, settings):
    settings.STRIPE_CAPTURE_METHOD = "manual"
    payment = services.start_payment(order=order)
    assert stripe_fake.intent(payment.gateway_reference)["capture_method"] == "manual"
    capturable = make_event("payment_intent.amount_capturable_updated",
                            stripe_fake.succeed(payment.gateway_reference))
    deliver(client, capturable)
    payment.refresh_from_db()
    order.refresh_from_db()
    assert payment.state == Payment.State.AUTHORIZED
    assert order.payment_status == Order.PaymentStatus.AUTHORIZED
    captured = services.capture_payment(payment=payment)
    assert (captured.state, captured.captured_amount) == (Payment.State.CAPTURED,
                                                          Decimal("35.00"))
    deliver(client, make_event("payment_intent.succeeded",
                               stripe_fake.intent(payment.gateway_reference)))
    deliver(client, capturable)
    order.refresh_from_db()
    assert order.payment_status == Order.PaymentStatus.PAID
    assert order.events.filter(type=OrderEvent.Type.PAYMENT_CAPTURED).count() == 1


def test_a_stale_intents_success_on_a_paid_order_is_recorded_and_refunded(
        client, stripe_fake, order, payment):
    deliver(client, make_event("payment_intent.succeeded",
                               stripe_fake.succeed(payment.gateway_reference)))
    deliver(client, make_event("charge.refunded",
                               stripe_fake.refund_outside(payment.gateway_reference, 500)))
    # A second, stale PaymentIntent on the same order succeeds after the partial refund:
    # the order's payment status can't go back to paid.
    stale = Payment.objects.create(order=order, gateway=Payment.Gateway.STRIPE,
                                   amount=Decimal("35.00"), currency="USD",
                                   gateway_reference="pi_stale")
    response = deliver(client, make_event("payment_intent.succeeded", {
        "id": "pi_stale", "object": "payment_intent", "amount": 3500,
        "amount_received": 3500, "status": "succeeded"}))
    assert response.status_code == 200
    # Money taken is recorded, and given back: the order is paid (less a refund) already.
    stale.refresh_from_db()
    assert (stale.state, stale.captured_amount) == (Payment.State.CAPTURED, Decimal("35.00"))
    assert StripeEvent.objects.get(object_id="pi_stale").result.endswith("pending -> captured")
    refund = stale.calls.get(kind=GatewayCall.Kind.REFUND)
    assert (refund.amount, refund.refund_reason) == (Decimal("35.00"), "cancellation")
    order.refresh_from_db()
    assert order.payment_status == Order.PaymentStatus.PARTIALLY_REFUNDED
    event = order.events.filter(type=OrderEvent.Type.PAYMENT_CAPTURED).latest("pk")
    assert "does not owe it" in event.message and event.data["payment"] == str(stale.token)


def test_stripe_outage_on_pay_page_is_a_clear_503(client, stripe_fake, order):
    session = client.session
    session["placed_orders"] = [order.pk]
    session.save()
    stripe_fake.fail_next(1, status=500)
    response = client.get(reverse("checkout:pay", args=[order.token]))
    assert response.status_code == 503
    assert b"not answering" in response.content
    assert client.get(reverse("checkout:pay", args=[order.token])).status_code == 200
