"""A canceled shipment never gets a label: the state guard stops the purchase before the
carrier is called (the carrier here is the local fake of EasyPost's API, which counts
every request it gets)."""

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from fulfillment import services, tasks
from fulfillment.models import LabelPurchase, Shipment
from kernel.errors import InvalidTransition
from tests.factories import UserFactory

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


def canceled_packed_shipment(paid_order) -> Shipment:
    shipment = packed_shipment(paid_order)
    return services.cancel_shipment(shipment_id=shipment.pk)


def test_the_label_service_and_task_never_call_the_carrier_for_a_canceled_shipment(
        easypost, paid_order):
    shipment = canceled_packed_shipment(paid_order)
    assert services.purchase_label(shipment_id=shipment.pk).state == Shipment.State.CANCELED
    assert tasks.purchase_label(shipment.pk) == Shipment.State.CANCELED
    assert easypost.requests == [] and easypost.buys == 0
    shipment.refresh_from_db()
    assert shipment.state == Shipment.State.CANCELED
    assert (shipment.tracking_number, shipment.label.name) == ("", "")
    assert not LabelPurchase.objects.filter(shipment=shipment).exists()


def test_the_admin_buy_label_action_queues_nothing_for_a_canceled_shipment(
        client, easypost, paid_order, staff_roles, monkeypatch):
    shipment = canceled_packed_shipment(paid_order)
    queued = []
    monkeypatch.setattr(tasks.purchase_label, "delay", lambda *args: queued.append(args))
    shipper = UserFactory(is_staff=True)
    shipper.groups.add(Group.objects.get(name="Shipper"))
    client.force_login(shipper)
    response = client.post(reverse("admin:fulfillment_shipment_changelist"),
                           {"action": "buy_labels", "_selected_action": [shipment.pk]},
                           follow=True)
    assert response.status_code == 200
    assert b"queued for 0 packed shipment" in response.content
    assert queued == []
    assert easypost.requests == [] and easypost.buys == 0


def test_a_shipment_canceled_while_its_label_is_bought_keeps_no_label(
        easypost, paid_order, monkeypatch):
    """The carrier is called outside the lock, so a cancel can land during the call: the
    answer must not move the canceled shipment to "label purchased" (a 409, not a write)."""
    from fulfillment.carriers.easypost import EasyPostCarrier

    shipment = packed_shipment(paid_order)
    original = EasyPostCarrier.buy_label

    def cancel_during_the_call(self, **kwargs):
        services.cancel_shipment(shipment_id=shipment.pk)
        return original(self, **kwargs)

    monkeypatch.setattr(EasyPostCarrier, "buy_label", cancel_during_the_call)
    with pytest.raises(InvalidTransition) as refused:
        services.purchase_label(shipment_id=shipment.pk)
    assert refused.value.status_code == 409
    shipment.refresh_from_db()
    assert shipment.state == Shipment.State.CANCELED
    assert (shipment.tracking_number, shipment.label.name) == ("", "")
    assert easypost.buys == 1  # the one call that was already under way


def test_a_label_bought_for_a_shipment_canceled_during_the_call_is_voided(
        easypost, paid_order, monkeypatch, django_capture_on_commit_callbacks):
    from fulfillment.carriers.easypost import EasyPostCarrier

    shipment = packed_shipment(paid_order)
    original = EasyPostCarrier.buy_label

    def cancel_during_the_call(self, **kwargs):
        services.cancel_shipment(shipment_id=shipment.pk)
        return original(self, **kwargs)

    monkeypatch.setattr(EasyPostCarrier, "buy_label", cancel_during_the_call)
    with django_capture_on_commit_callbacks(execute=True), \
            pytest.raises(InvalidTransition):
        services.purchase_label(shipment_id=shipment.pk)
    tasks.void_label(shipment.pk)  # what the cancel's after-commit task would do
    assert easypost.buys == 1
    assert easypost.refunds == 1  # the label the shop paid for is given back
