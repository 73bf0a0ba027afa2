"""Merchants register webhook endpoints in admin; a picker can't."""

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from shop.webhooks.models import WebhookEndpoint
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def staff_in(client, role):
    user = UserFactory(username=role.lower(), is_staff=True)
    user.groups.add(Group.objects.get(name=role))
    client.force_login(user)


def test_a_merchant_registers_an_endpoint(client, staff_roles, dns):
    dns["3pl.example"] = ["93.184.215.14"]
    staff_in(client, "Merchant")
    add = reverse("admin:webhooks_webhookendpoint_add")
    bad = client.post(add, {"name": "3PL", "url": "ftp://x", "events": ["order.paid"],
                            "contact_email": "ops@3pl.example", "is_active": "on"})
    assert bad.status_code == 200 and b"URL" in bad.content
    assert not WebhookEndpoint.objects.exists()
    done = client.post(add, {"name": "3PL", "url": "https://3pl.example/hooks",
                             "events": ["order.paid", "shipment.shipped"],
                             "contact_email": "ops@3pl.example", "is_active": "on"})
    assert done.status_code == 302
    assert WebhookEndpoint.objects.get().events == ["order.paid", "shipment.shipped"]
    assert client.get(reverse("admin:webhooks_webhookdelivery_changelist")).status_code == 200


def test_a_picker_cannot_touch_webhooks(client, staff_roles):
    staff_in(client, "Picker")
    assert client.get(reverse("admin:webhooks_webhookendpoint_add")).status_code == 403
    assert client.get(reverse("admin:webhooks_webhookendpoint_changelist")).status_code == 403
