"""The contact form: kept, emailed to the merchant (Reply-To the shopper), linked to an
order only when the number matches the email, and refused for bots with a message."""

from __future__ import annotations

import time

import pytest
from django.core import mail, signing
from django.urls import reverse
from django.utils import timezone

from customers.models import ContactMessage
from customers.services import set_contact_message_status
from kernel.errors import InvalidTransition
from kernel.personal_data import Subject, sections
from shop.storefront.contact import SALT

from .conftest import make_order

pytestmark = pytest.mark.django_db
URL = "/contact/"


def _started(seconds_ago: int = 10) -> str:
    return signing.dumps({"t": int(time.time()) - seconds_ago}, salt=SALT, compress=True)


def _form(**overrides) -> dict:
    return {"name": "Ann Shopper", "email": "ann@example.com", "order_number": "",
            "subject": "Where is my parcel?", "message": "It has been a week, thank you.",
            "website": "", "started": _started(), **overrides}


def test_the_page_is_linked_from_the_footer_in_a_fixed_number_of_queries(
        client, django_assert_max_num_queries):
    home = client.get("/")
    assert reverse("storefront:contact").encode() in home.content
    with django_assert_max_num_queries(6):
        response = client.get(URL)
    assert response.status_code == 200
    for label in (b'for="id_name"', b'for="id_email"', b'for="id_order_number"',
                  b'for="id_subject"', b'for="id_message"', b"csrfmiddlewaretoken"):
        assert label in response.content


def test_a_message_is_kept_and_emailed_to_the_merchant(client, settings,
                                                       django_capture_on_commit_callbacks):
    settings.SHOP_MERCHANT_EMAIL = "owner@shop.example"
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(URL, _form(email="Ann@Example.com"))
    assert response.status_code == 302
    message = ContactMessage.objects.get()
    assert (message.email, message.status, message.order) == ("ann@example.com", "open", None)
    assert message.merchant_notified_at is not None
    [email] = mail.outbox
    assert email.to == ["owner@shop.example"]
    assert email.reply_to == ["ann@example.com"]
    assert settings.SHOP_NAME in email.from_email
    assert "It has been a week" in email.body
    assert b"your message was sent" in client.get(URL).content


def test_an_order_number_links_only_with_its_own_email_and_the_answer_is_the_same(client):
    order = make_order(email="ann@example.com", total="10", days_ago=1, now=timezone.now())
    matching = client.post(URL, _form(email="ANN@example.com", order_number=f"#{order.number}"))
    other = client.post(URL, _form(email="eve@example.com", order_number=order.number))
    missing = client.post(URL, _form(email="eve@example.com", order_number="NOPE-1"))
    assert matching.status_code == other.status_code == missing.status_code == 302
    assert matching["Location"] == other["Location"] == missing["Location"]
    pages = [client.get(URL).content for _ in range(1)]
    assert order.number.encode() not in pages[0]
    linked = dict(ContactMessage.objects.values_list("email", "order"))
    assert linked["ann@example.com"] == order.pk
    assert ContactMessage.objects.filter(email="eve@example.com", order__isnull=True).count() == 2


def test_the_honeypot_refuses_with_a_message(client):
    response = client.post(URL, _form(website="http://spam.example"))
    assert response.status_code == 400
    assert b"looks automated" in response.content
    assert not ContactMessage.objects.exists()


@pytest.mark.parametrize("started, words", [
    (lambda: _started(0), b"quicker than we expect"),
    (lambda: _started(3 * 3600), b"open too long"),
    (lambda: "tampered" + _started(10), b"open too long"),
    (lambda: _started(10)[:-2] + "xx", b"open too long"),
    (lambda: "", b"open too long"),
])
def test_too_fast_too_old_or_tampered_forms_are_refused(client, started, words):
    started = started()
    response = client.post(URL, _form(started=started))
    assert response.status_code == 400
    assert words in response.content
    assert not ContactMessage.objects.exists()
    # A fresh timestamp comes back, so a person can simply send again.
    assert b'name="started" value="' in response.content


def test_posting_is_rate_limited(client, settings):
    settings.SHOP_RATE_LIMITS = {**settings.SHOP_RATE_LIMITS,
                                 "contact": {"ip": "2/h", "account": "2/h"}}
    for _ in range(2):
        assert client.post(URL, _form()).status_code == 302
    response = client.post(URL, _form())
    assert response.status_code == 429
    assert ContactMessage.objects.count() == 2


@pytest.mark.parametrize("overrides", [
    {"message": "short"},
    {"message": "x" * 5001},
    {"name": "N" * 101},
    {"email": "not-an-email"},
    {"name": "Nul\x00byte"},
    {"order_number": "9" * 400},
])
def test_bad_input_is_a_400_with_a_message_never_a_500(client, overrides):
    response = client.post(URL, _form(**overrides))
    assert response.status_code == 400
    assert b"field-error" in response.content
    assert not ContactMessage.objects.exists()


def test_raw_bad_bytes_are_safe(client):
    body = b"name=%FF%FE&email=a%40b.com&subject=%C0%AF&message=" + b"%FF" * 20
    response = client.post(URL, data=body, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 400


def test_staff_mark_messages_answered_then_closed(client, staff_in):
    user = staff_in(client, "Returns clerk")
    client.post(URL, _form())
    message = ContactMessage.objects.get()
    changelist = reverse("admin:customers_contactmessage_changelist")
    response = client.post(changelist, {"action": "mark_answered",
                                        "_selected_action": [message.pk]})
    assert response.status_code == 302
    message.refresh_from_db()
    assert (message.status, message.answered_by) == ("answered", user)
    set_contact_message_status(message_id=message.pk, status="closed", actor=user)
    with pytest.raises(InvalidTransition):
        set_contact_message_status(message_id=message.pk, status="answered", actor=user)
    assert client.get(reverse("admin:customers_contactmessage_change",
                              args=[message.pk])).status_code == 200


def test_personal_data_sections_export_and_erase(client, staff_in):
    client.post(URL, _form())
    names = {section.name: section for section in sections()}
    subject = Subject(user=None, emails=("ann@example.com",))
    exported = names["contact_messages"].export(subject)
    assert exported[0]["subject"] == "Where is my parcel?"
    for name in ("contact_messages", "customer_notes", "customer_segments"):
        names[name].erase(subject)
    assert not ContactMessage.objects.exists()


def test_posting_without_the_csrf_token_is_refused():
    from django.test import Client

    response = Client(enforce_csrf_checks=True).post(URL, _form())
    assert response.status_code == 403
    assert not ContactMessage.objects.exists()
