"""The invitation: sent once per delivered order, by the delivery itself (through the
task), never to an address that unsubscribed, and its link lets a guest review."""

import re

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
    signature = re.search(r"/reviews/write/([^/\s]+)/", message.body).group(1)
    assert order_id_from_signature(signature) == order.pk
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


def test_the_sweep_queues_what_a_lost_task_left_unsent(delivered_order, settings):
    from datetime import timedelta

    from django.utils import timezone

    from reviews import tasks

    lost = delivered_order()
    sent = delivered_order(email="bob@example.com")
    send_review_invitation(order_id=sent.pk)
    skipped = delivered_order(email="cy@example.com")
    consent.record_consent(email="cy@example.com", granted=False,
                           wording=consent.UNSUBSCRIBE_WORDING, source="unsubscribe_link")
    assert send_review_invitation(order_id=skipped.pk) is False
    assert ReviewInvitation.objects.get(order=skipped).skipped_reason == "unsubscribed"
    just_now = delivered_order(email="dee@example.com", days_ago=0)
    Shipment.objects.filter(order=just_now).update(delivered_at=timezone.now())
    old = delivered_order(email="old@example.com", days_ago=30)

    from reviews.invitations import orders_awaiting_invitation

    now = timezone.now()
    assert orders_awaiting_invitation(delivered_after=now - tasks.SWEEP_WINDOW,
                                      delivered_before=now - tasks.SWEEP_AFTER) == [lost.pk]
    mail.outbox.clear()
    assert tasks.sweep_review_invitations() == 1  # Celery runs eagerly in the tests
    assert [message.to for message in mail.outbox] == [["ada@example.com"]]
    assert tasks.sweep_review_invitations() == 0
    assert old.pk and just_now.pk
    assert timedelta(0) < tasks.SWEEP_AFTER < tasks.SWEEP_WINDOW
