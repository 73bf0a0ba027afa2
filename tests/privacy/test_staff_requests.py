"""Issue 19, data requests by email: staff with the Merchant role record the request (the
address, the kind, how identity was verified), download the export for the person, or
erase after a confirmation page; all through privacy.services. Other roles can't."""

import json

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from kernel.personal_data import sections
from privacy.models import DataRequest
from tests.factories import UserFactory

from .conftest import PASSWORD

pytestmark = pytest.mark.django_db


def staff_in(client, role):
    member = UserFactory(username=f"staff-{role.lower().replace(' ', '-')}", is_staff=True,
                         password=PASSWORD)
    member.groups.add(Group.objects.get(name=role))
    client.force_login(member)
    return member


def record(client, *, email, kind, verified="Replied from the address with the order items"):
    return client.post(reverse("admin:privacy_datarequest_add"), {
        "email": email, "kind": kind, "identity_verification": verified})


def test_the_merchant_records_an_export_and_downloads_it(client, privacy_roles, ada, bob,
                                                         delivered_order):
    mine = delivered_order(user=ada)
    theirs = delivered_order(user=bob, email="bob@example.com")
    merchant = staff_in(client, "Merchant")
    response = record(client, email="Ada@Example.com", kind="export")
    request = DataRequest.objects.get()
    assert response.status_code == 302 and str(request.pk) in response["Location"]
    assert (request.kind, request.channel, request.status) == ("export", "staff", "received")
    assert request.email == "ada@example.com" and request.user == ada
    assert request.recorded_by == merchant and "Replied" in request.identity_verification

    page = client.get(reverse("admin:privacy_datarequest_change", args=[request.pk]))
    assert page.status_code == 200 and b"Download the export (JSON)" in page.content
    assert client.get(reverse("admin:privacy_datarequest_export",
                              args=[request.pk])).status_code == 405
    download = client.post(reverse("admin:privacy_datarequest_export", args=[request.pk]))
    assert download.status_code == 200
    assert download["Content-Disposition"].startswith("attachment;")
    document = json.loads(download.content)
    assert [o["number"] for o in document["sections"]["orders"]] == [mine.number]
    assert theirs.number not in download.content.decode()
    request.refresh_from_db()
    assert request.status == "completed"
    assert request.sections == [section.name for section in sections()]


def test_the_merchant_erases_after_the_confirmation_page(client, privacy_roles, ada,
                                                         delivered_order):
    order = delivered_order(user=ada)
    staff_in(client, "Merchant")
    record(client, email="ada@example.com", kind="erasure")
    request = DataRequest.objects.get()
    erase_url = reverse("admin:privacy_datarequest_erase", args=[request.pk])
    confirm = client.get(erase_url)
    assert confirm.status_code == 200 and b"Art. 17(3)(b) and (e)" in confirm.content
    assert client.post(erase_url, {}).status_code == 400
    ada.refresh_from_db()
    assert ada.is_active
    assert client.post(erase_url, {"confirm": "on"}).status_code == 302
    ada.refresh_from_db()
    order.refresh_from_db()
    assert not ada.is_active and ada.email.endswith("@closed.invalid")
    assert order.user is None and order.email == "erased@erased.invalid"
    request.refresh_from_db()
    assert request.status == "completed" and request.sections[-1] == "account"
    # Done once: a second erasure of the same request is refused with a message.
    again = client.post(erase_url, {"confirm": "on"}, follow=True)
    assert b"already completed" in again.content


def test_an_erasure_with_an_open_order_stays_to_do_with_the_reason(client, privacy_roles, ada,
                                                                   delivered_order):
    order = delivered_order(user=ada, delivered=False)
    staff_in(client, "Merchant")
    record(client, email="ada@example.com", kind="erasure")
    request = DataRequest.objects.get()
    response = client.post(reverse("admin:privacy_datarequest_erase", args=[request.pk]),
                           {"confirm": "on"}, follow=True)
    assert f"Order {order.number} is paid and not shipped yet.".encode() in response.content
    request.refresh_from_db()
    assert request.status == "received" and order.number in request.outcome
    ada.refresh_from_db()
    assert ada.is_active


def test_recording_needs_how_identity_was_verified(client, privacy_roles):
    staff_in(client, "Merchant")
    response = record(client, email="ada@example.com", kind="erasure", verified="")
    assert response.status_code == 400 and not DataRequest.objects.exists()
    response = record(client, email="erased@erased.invalid", kind="export")
    assert response.status_code == 400 and b"names no one" in response.content


def test_other_roles_can_neither_see_nor_carry_out_requests(client, privacy_roles):
    request = DataRequest.objects.create(kind="export", channel="staff",
                                         email="ada@example.com")
    staff_in(client, "Packer")
    assert client.get(reverse("admin:privacy_datarequest_changelist")).status_code == 403
    assert record(client, email="ada@example.com", kind="export").status_code == 403
    assert client.post(reverse("admin:privacy_datarequest_export",
                               args=[request.pk])).status_code == 403
    assert client.post(reverse("admin:privacy_datarequest_erase", args=[request.pk]),
                       {"confirm": "on"}).status_code == 403


def test_the_log_lists_in_a_fixed_number_of_queries(client, privacy_roles,
                                                    django_assert_max_num_queries):
    staff_in(client, "Merchant")
    for n in range(3):
        DataRequest.objects.create(kind="export", channel="staff", email=f"{n}@example.com")
    with django_assert_max_num_queries(12) as few:
        assert client.get(reverse("admin:privacy_datarequest_changelist")).status_code == 200
    for n in range(30):
        DataRequest.objects.create(kind="erasure", channel="account", email=f"m{n}@example.com")
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(reverse("admin:privacy_datarequest_changelist")).status_code == 200
