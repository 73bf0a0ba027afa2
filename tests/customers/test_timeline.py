"""Customer service: one timeline per customer (account or guest email), newest first, in
a fixed number of queries; staff notes through the service, on customers and orders."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from customers.exceptions import NoteInvalid
from customers.models import CustomerNote
from customers.services import add_customer_note, submit_contact_message
from customers.timeline import customer_timeline
from fulfillment.models import Shipment, ShipmentNotification
from orders.models import OrderNotification
from tests.factories import ProductFactory, UserFactory, WarehouseFactory

from .conftest import make_order

pytestmark = pytest.mark.django_db


def _history(email: str, orders: int, *, user=None, start: int = 0) -> None:
    now = timezone.now()
    author = UserFactory(username="clerk")
    warehouse = WarehouseFactory(code="main")
    for index in range(start, start + orders):
        order = make_order(email=email, total="25", days_ago=index + 1, now=now, user=user)
        OrderNotification.objects.create(order=order, kind="confirmation", recipient=email,
                                         sent_at=order.placed_at + timedelta(minutes=1))
        shipment = Shipment.objects.create(order=order, number=f"S-{order.number}",
                                           shipped_at=order.placed_at + timedelta(hours=5),
                                           promised_ship_by=order.placed_at + timedelta(days=2),
                                           warehouse=warehouse)
        ShipmentNotification.objects.create(shipment=shipment, kind="shipped",
                                            sent_at=shipment.shipped_at)
        add_customer_note(author=author, text=f"Called about {order.number}", order=order)
    submit_contact_message(name="Ann", email=email, subject=f"Question {start}",
                           message="Where is my parcel?")


def _timeline_queries(**lookup) -> tuple[int, list]:
    with CaptureQueriesContext(connection) as queries:
        timeline = customer_timeline(**lookup)
    return len(queries), timeline.entries


def test_a_guest_timeline_by_email_newest_first_in_a_fixed_number_of_queries():
    _history("ann@example.com", 2)
    few, entries = _timeline_queries(email="Ann@Example.com")
    kinds = {entry.kind for entry in entries}
    assert {"order", "payment", "shipment", "email", "note", "message"} <= kinds
    assert [entry.at for entry in entries] == sorted((entry.at for entry in entries),
                                                     reverse=True)
    _history("ann@example.com", 25, start=2)
    many, entries = _timeline_queries(email="ann@example.com")
    assert many == few
    assert sum(entry.kind == "order" for entry in entries) == 27


def test_reviews_are_on_the_timeline():
    from reviews.models import Review

    Review.objects.create(product=ProductFactory(title="Trail Mug"), email="ann@example.com",
                          rating=4, body="Keeps coffee hot.", author_name="Ann")
    _, entries = _timeline_queries(email="ann@example.com")
    assert [entry.title for entry in entries] == ["Review of Trail Mug: 4/5"]


def test_an_account_timeline_has_its_orders_under_another_email_too():
    bo = UserFactory(username="bo", email="bo@example.com")
    _history("bo@example.com", 1)
    make_order(email="bo.work@example.com", total="10", days_ago=1, now=timezone.now(),
               user=bo)
    _, entries = _timeline_queries(user=bo)
    assert sum(entry.kind == "order" for entry in entries) == 2
    _, other = _timeline_queries(email="someone@example.com")
    assert other == []


def test_notes_go_through_the_service_with_bounds():
    author = UserFactory(username="clerk")
    order = make_order(email="Cy@Example.com", total="10", days_ago=1, now=timezone.now())
    note = add_customer_note(author=author, text="  Prefers phone calls ", order=order)
    assert (note.email, note.order, note.text) == ("cy@example.com", order,
                                                   "Prefers phone calls")
    guest = add_customer_note(author=author, text="Asked about sizes", email="Dee@X.com")
    assert guest.email == "dee@x.com" and guest.order is None
    with pytest.raises(NoteInvalid):
        add_customer_note(author=author, text="   ", email="dee@x.com")
    with pytest.raises(NoteInvalid):
        add_customer_note(author=author, text="x" * 2001, email="dee@x.com")
    with pytest.raises(NoteInvalid):
        add_customer_note(author=author, text="No one")


def test_staff_open_the_timeline_and_add_a_note_in_a_fixed_number_of_queries(client,
                                                                             staff_in):
    staff_in(client, "Returns clerk")
    url = reverse("admin:customers_customernote_timeline")
    _history("ann@example.com", 2)
    with CaptureQueriesContext(connection) as few:
        assert client.get(url, {"email": "ann@example.com"}).status_code == 200
    _history("ann@example.com", 20, start=2)
    with CaptureQueriesContext(connection) as many:
        response = client.get(url, {"email": "ann@example.com"})
    assert response.status_code == 200 and len(many) == len(few)
    assert b"Called about" in response.content

    response = client.post(f"{url}?email=ann@example.com", {"text": "Refund promised"})
    assert response.status_code == 302
    assert CustomerNote.objects.filter(text="Refund promised",
                                       email="ann@example.com").exists()
    assert client.post(f"{url}?email=ann@example.com", {"text": ""}).status_code == 400
    assert client.get(url, {"email": "not an email\x00"}).status_code == 400
    assert client.get(url).status_code == 400
    assert client.get(url, {"order": "99999999999999999999999"}).status_code == 400
    assert client.get(url, {"order": "424242"}).status_code == 404


def test_a_note_about_an_order_shows_on_the_order_page(client, staff_in):
    staff_in(client, "Merchant")
    order = make_order(email="eve@example.com", total="10", days_ago=1, now=timezone.now())
    timeline = reverse("admin:customers_customernote_timeline")
    response = client.post(f"{timeline}?order={order.pk}", {"text": "Gift wrap please"})
    assert response.status_code == 302
    note = CustomerNote.objects.get()
    assert note.order == order and note.email == "eve@example.com"
    page = client.get(reverse("admin:orders_order_change", args=[order.pk]))
    assert page.status_code == 200
    assert b"Gift wrap please" in page.content
    assert f"{timeline}?order={order.pk}".encode() in page.content


def test_only_staff_with_the_service_permission_see_timelines(client, staff_in):
    staff_in(client, "Picker")
    url = reverse("admin:customers_customernote_timeline")
    assert client.get(url, {"email": "ann@example.com"}).status_code == 403


def test_the_user_page_links_to_the_timeline(client, admin_client):
    bo = UserFactory(username="bo", email="bo@example.com")
    page = admin_client.get(reverse("admin:auth_user_change", args=[bo.pk]))
    assert f"?user={bo.pk}".encode() in page.content
