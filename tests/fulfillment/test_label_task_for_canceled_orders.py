"""The queued label purchase meets an order that was canceled (or whose cancel is being
settled) meanwhile: the task logs it and exits, calls no carrier and raises nothing (a
raised InvalidTransition would show as a failed task and be retried for nothing)."""

import logging

import pytest

from fulfillment import services, tasks
from fulfillment.models import LabelPurchase, Shipment
from kernel.errors import InvalidTransition
from orders import services as order_services
from payments import services as payment_services

from .easypost_fake import FakeEasyPost
from .test_easypost import packed_shipment

pytestmark = pytest.mark.django_db


@pytest.fixture
def easypost(settings):
    fake = FakeEasyPost()
    settings.EASYPOST_API_KEY = "EZTK_test"
    settings.EASYPOST_API_BASE = f"{fake.url}/v2"
    settings.SHOP_DEFAULT_CARRIER = "easypost"
    yield fake
    fake.stop()


def test_the_task_exits_quietly_for_an_order_with_a_cancel_requested(easypost, paid_order,
                                                                      caplog):
    shipment = packed_shipment(paid_order)
    order_services.request_cancel(order_id=shipment.order_id, reason="Customer asked")

    with caplog.at_level(logging.INFO, logger="fulfillment.tasks"):
        assert tasks.purchase_label(shipment.pk) == Shipment.State.PACKED

    assert "being canceled" in caplog.text and shipment.number in caplog.text
    assert easypost.requests == [] and not LabelPurchase.objects.exists()
    # The service itself still refuses, with words a person reads (the admin's 409).
    with pytest.raises(InvalidTransition, match="cancel requested"):
        services.purchase_label(shipment_id=shipment.pk)


def test_the_task_exits_quietly_for_a_canceled_order(easypost, paid_order, caplog):
    shipment = packed_shipment(paid_order)
    order = shipment.order
    payment_services.cancel_and_settle(order=order, reason="Customer asked")

    with caplog.at_level(logging.INFO, logger="fulfillment.tasks"):
        # (its shipment is canceled by a task the order_canceled signal queues)
        assert tasks.purchase_label(shipment.pk) == Shipment.objects.get(pk=shipment.pk).state

    assert "is canceled" in caplog.text
    assert easypost.requests == [] and not LabelPurchase.objects.exists()


def test_a_cancel_requested_between_the_read_and_the_lock_also_exits_quietly(
        easypost, paid_order, monkeypatch):
    shipment = packed_shipment(paid_order)
    real = services.purchase_label

    def cancel_first(*, shipment_id):
        order_services.request_cancel(order_id=shipment.order_id, reason="Raced")
        return real(shipment_id=shipment_id)

    monkeypatch.setattr(services, "purchase_label", cancel_first)
    assert tasks.purchase_label(shipment.pk) == Shipment.State.PACKED
    assert easypost.requests == []


def test_a_missing_shipment_is_no_error():
    assert tasks.purchase_label(999999) == ""
