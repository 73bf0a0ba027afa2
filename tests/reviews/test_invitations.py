"""The invitation: sent once per delivered order, by the delivery itself (through the
task), never to an address that unsubscribed, and its link lets a guest review."""

import pytest
from django.core import mail

from fulfillment.models import Shipment
from marketing import consent
from reviews import receivers
from reviews.invitations import send_review_invitation
from reviews.links import invitation_signature, order_id_from_signature
from reviews.models import ReviewInvitation
from tests.reviews.conftest import write

pytestmark = pytest.mark.django_db


def test_the_delivered_order_is_invited_once(delivered_order, settings):
    settings.SHOP_NAME = "Northwind Supply"
    order = delivered_order()
    mail.outbox.clear()
    assert send_review_invitation(order_id=order.pk) is True
    assert send_review_invitation(order_id=order.pk) is False  # a task run twice
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["ada@example.com"]
    assert message.subject.startswith("Northwind Supply: ")
    assert "Linen Shirt" in message.body and "Stoneware Mug" in message.body
    signature = invitation_signature(order)
    assert f"/reviews/write/{signature}/" in message.body
    assert ReviewInvitation.objects.get(order=order).sent_at is not None


def test_a_delivery_queues_the_invitation(delivered_order, django_capture_on_commit_callbacks):
    order = delivered_order()
    mail.outbox.clear()
    shipment = Shipment.objects.filter(order=order).first()
    with django_capture_on_commit_callbacks(execute=True):
        receivers.on_shipment_status_changed(sender=Shipment, shipment_id=shipment.pk,
                                             status=Shipment.State.DELIVERED)
        receivers.on_shipment_status_changed(sender=Shipment, shipment_id=shipment.pk,
                                             status=Shipment.State.DELIVERED)
    assert len([m for m in mail.outbox if "How is your order" in m.subject]) == 1
    assert ReviewInvitation.objects.filter(order=order, sent_at__isnull=False).count() == 1


def test_an_undelivered_order_is_not_invited(delivered_order):
    order = delivered_order(delivered=False)
    mail.outbox.clear()
    assert send_review_invitation(order_id=order.pk) is False
    assert mail.outbox == []


def test_no_invitation_to_an_address_that_unsubscribed(delivered_order):
    order = delivered_order()
    consent.record_consent(email="ADA@example.com", granted=False,
                           wording=consent.UNSUBSCRIBE_WORDING, source="unsubscribe_link")
    mail.outbox.clear()
    assert send_review_invitation(order_id=order.pk) is False
    assert mail.outbox == []
    assert not ReviewInvitation.objects.filter(sent_at__isnull=False).exists()


def test_nothing_left_to_review_sends_nothing(delivered_order):
    order = delivered_order(mugs=0)
    write(order)
    mail.outbox.clear()
    assert send_review_invitation(order_id=order.pk) is False
    assert mail.outbox == []


def test_the_link_names_its_order_and_refuses_a_forgery(delivered_order):
    order = delivered_order()
    signature = invitation_signature(order)
    assert order_id_from_signature(signature) == order.pk
    assert order_id_from_signature(signature[:-2] + "xx") is None
    assert order_id_from_signature("not-a-signature") is None
