"""The courier page refuses a tampered form with a message, never a server error."""

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from fulfillment import services
from fulfillment.models import Shipment, TrackingEvent
from tests.factories import UserFactory
from tests.fulfillment.test_shipments import to_shipped

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("staff_roles")]


@pytest.fixture
def courier_client(client):
    user = UserFactory(username="courier", is_staff=True)
    user.groups.add(Group.objects.get(name="Shipper"))
    client.force_login(user)
    return client


@pytest.mark.parametrize("value", ["abc", "12abc", "1.5", "-3", " ", "١٢", "9" * 40])
def test_a_shipment_value_that_is_not_a_number_is_a_400_with_a_message(courier_client,
                                                                       paid_order, value):
    shipment = to_shipped(services.create_shipments(order_id=paid_order(lamp=0).pk)[0])
    response = courier_client.post(reverse("courier"), {"shipment": value,
                                                        "status": "delivered",
                                                        "recipient": "Ada"})
    assert response.status_code == 400
    assert b"Choose a parcel from the list." in response.content
    assert shipment.tracking_number.encode() in response.content  # the list is still there
    shipment.refresh_from_db()
    assert shipment.state == Shipment.State.SHIPPED
    assert not TrackingEvent.objects.filter(shipment=shipment, status="delivered").exists()


def test_a_missing_shipment_is_a_400_and_an_unknown_one_a_404(courier_client):
    assert courier_client.post(reverse("courier"), {"status": "delivered"}).status_code == 400
    assert courier_client.post(reverse("courier"), {"shipment": "999999",
                                                    "status": "delivered"}).status_code == 404
