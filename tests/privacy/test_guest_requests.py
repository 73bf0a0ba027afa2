"""Issue 19, data requests by guests: the public "Request your data" page emails a signed,
expiring link (through the task queue, from the shop's name) when an order with that
number was placed with that address, and answers the same either way; the link opens the
download and the erasure. Forged, altered, expired and used links are 4xx with a message."""

import json
import re
import time

import pytest
from django.core import mail
from django.urls import reverse

from orders.links import guest_order_path
from orders.models import Order
from privacy.links import MAX_AGE, data_link_signature
from privacy.models import DataRequest

pytestmark = pytest.mark.django_db


def ask_for_link(client, email, number, ip="203.0.113.7"):
    return client.post(reverse("account:data_request"), {"email": email,
                                                         "order_number": number},
                       REMOTE_ADDR=ip)


def emailed_link(message) -> str:
    return re.search(r"http\S+/privacy/data/\S+/", message.body).group(0)


def path_of(url: str) -> str:
    return url[url.index("/privacy/"):]


def test_a_known_address_and_order_number_get_the_link_by_email(
        client, delivered_order, django_capture_on_commit_callbacks, settings):
    order = delivered_order(email="guest@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        response = ask_for_link(client, "Guest@Example.com ", order.number.lower())
    assert response.status_code == 302
    assert response["Location"] == reverse("account:data_request_sent")
    [message] = mail.outbox
    assert message.to == ["guest@example.com"]
    assert settings.SHOP_NAME in message.from_email and settings.SHOP_NAME in message.subject
    assert "24 hours" in message.body
    logged = DataRequest.objects.get()
    assert (logged.kind, logged.channel, logged.status) == ("link", "guest", "completed")
    page = client.get(path_of(emailed_link(message)))
    assert page.status_code == 200 and b"Download my data" in page.content


def test_an_unknown_address_or_wrong_number_gets_the_same_answer_and_no_email(
        client, delivered_order, django_capture_on_commit_callbacks):
    order = delivered_order(email="guest@example.com")
    answers = []
    with django_capture_on_commit_callbacks(execute=True):
        for email, number in [("nobody@example.com", order.number),
                              ("guest@example.com", "NOPE-1"),
                              ("guest@example.com", order.number)]:
            response = ask_for_link(client, email, number)
            answers.append((response.status_code, response["Location"]))
    assert len(set(answers)) == 1
    assert len(mail.outbox) == 1 and DataRequest.objects.count() == 1
    follow = client.get(answers[0][1])
    assert b"If we hold an order with that number under that address" in follow.content


def test_the_link_downloads_only_that_addresses_data(client, delivered_order, ada):
    mine = delivered_order(email="guest@example.com")
    theirs = delivered_order(email="other@example.com")
    response = client.post(reverse("account:data_link_download",
                                   args=[data_link_signature("guest@example.com")]))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    document = json.loads(response.content)
    assert [o["number"] for o in document["sections"]["orders"]] == [mine.number]
    assert document["sections"]["account"] is None
    assert theirs.number not in response.content.decode()
    logged = DataRequest.objects.get()
    assert (logged.kind, logged.channel, logged.email) == ("export", "guest",
                                                           "guest@example.com")


def test_another_addresses_link_opens_nothing_of_this_one(client, delivered_order):
    delivered_order(email="guest@example.com")
    response = client.post(reverse("account:data_link_download",
                                   args=[data_link_signature("stranger@example.com")]))
    assert response.status_code == 200
    assert json.loads(response.content)["sections"]["orders"] == []


def test_expired_tampered_and_garbage_links_are_4xx_with_a_message(client):
    expired = data_link_signature("guest@example.com", now=time.time() - MAX_AGE - 60)
    good = data_link_signature("guest@example.com")
    tampered = good[:-3] + ("AAA" if not good.endswith("AAA") else "BBB")
    forged = data_link_signature("guest@example.com").replace(
        good.split(":")[0], data_link_signature("victim@example.com").split(":")[0])
    cases = {expired: 410, tampered: 404, forged: 404, "x": 404, "%ff%fe": 404,
             "A" * 5000: 404, "eyJ9:1abc:def": 404}
    for signature, status in cases.items():
        for name, method in [("account:data_link", client.get),
                             ("account:data_link_download", client.post),
                             ("account:data_link_erase", client.post)]:
            response = method(reverse(name, args=[signature]), {"confirm": "on"})
            assert response.status_code == status, (signature[:40], name)
            assert b"Ask for a new one" in response.content or b"expired" in response.content
    assert not DataRequest.objects.exists()


def test_the_guest_erases_after_confirming_and_the_link_is_dead_after(
        client, delivered_order):
    order = delivered_order(email="guest@example.com")
    order_link = guest_order_path(order)
    assert client.get(order_link).status_code == 200
    signature = data_link_signature("guest@example.com", now=time.time() - 5)
    erase_url = reverse("account:data_link_erase", args=[signature])
    confirm_page = client.get(erase_url)
    assert confirm_page.status_code == 200 and b"Art. 17(3)(b) and (e)" in confirm_page.content
    assert client.post(erase_url, {}).status_code == 400  # not confirmed
    response = client.post(erase_url, {"confirm": "on"})
    assert response.status_code == 302
    order.refresh_from_db()
    assert order.email == "erased@erased.invalid"
    assert order.billing_address.first_name == "Ada"  # the invoice's, kept
    assert order.shipping_address.first_name == ""
    assert client.get(order_link).status_code == 404  # the old emails' order link is dead
    for name, method in [("account:data_link", client.get),
                         ("account:data_link_download", client.post),
                         ("account:data_link_erase", client.post)]:
        again = method(reverse(name, args=[signature]), {"confirm": "on"})
        assert again.status_code in {404, 410}
    assert client.post(reverse("account:data_link_download", args=[signature])
                       ).status_code == 410
    assert list(DataRequest.objects.order_by("pk").values_list("kind", "status")) == [
        ("erasure", "completed")]


def test_a_guest_erasure_is_refused_while_an_order_is_open(client, delivered_order):
    order = delivered_order(email="guest@example.com", delivered=False)
    response = client.post(reverse("account:data_link_erase",
                                   args=[data_link_signature("guest@example.com")]),
                           {"confirm": "on"})
    assert response.status_code == 409
    assert f"Order {order.number} is paid and not shipped yet.".encode() in response.content
    assert Order.objects.get(pk=order.pk).email == "guest@example.com"
    assert DataRequest.objects.get().status == "refused"


def test_an_address_with_an_account_closes_it_from_the_account(client, ada, delivered_order):
    delivered_order(email="ada@example.com")
    response = client.post(reverse("account:data_link_erase",
                                   args=[data_link_signature("ada@example.com")]),
                           {"confirm": "on"})
    assert response.status_code == 409 and b"sign in and close it" in response.content
    ada.refresh_from_db()
    assert ada.is_active


def test_asking_for_links_is_rate_limited_per_address_and_per_ip(client, settings,
                                                                 delivered_order):
    settings.SHOP_RATE_LIMITS = {**settings.SHOP_RATE_LIMITS,
                                 "data_request": {"ip": "5/h", "account": "3/h"}}
    order = delivered_order(email="guest@example.com")
    for n in range(3):
        assert ask_for_link(client, "guest@example.com", order.number,
                            ip=f"198.51.100.{n}").status_code == 302
    limited = ask_for_link(client, "GUEST@example.com", order.number, ip="198.51.100.9")
    assert limited.status_code == 429 and int(limited["Retry-After"]) > 0
    for n in range(2):
        assert ask_for_link(client, f"p{n}@example.com", "X", ip="192.0.2.1").status_code == 302
    assert ask_for_link(client, "p9@example.com", "X", ip="192.0.2.1").status_code == 302
    assert ask_for_link(client, "p8@example.com", "X", ip="192.0.2.1").status_code == 302
    assert ask_for_link(client, "p7@example.com", "X", ip="192.0.2.1").status_code == 302
    assert ask_for_link(client, "p6@example.com", "X", ip="192.0.2.1").status_code == 429


def test_bad_input_on_the_request_page_is_400_not_500(client):
    for data in [{}, {"email": "not-an-email", "order_number": "1"},
                 {"email": "a@example.com", "order_number": "9" * 500},
                 {"email": "x" * 300 + "@example.com", "order_number": "1"}]:
        response = client.post(reverse("account:data_request"), data)
        assert response.status_code == 400, data
    for body in [b"email=%FF%FE%40example.com&order_number=1", b"\xff\xfe=\x00",
                 b"email=a@example.com&order_number=%00"]:
        response = client.generic("POST", reverse("account:data_request"), body,
                                  content_type="application/x-www-form-urlencoded")
        assert 400 <= response.status_code < 500 or response.status_code == 302, body
    page = client.get(reverse("account:data_request"))
    assert page.status_code == 200
    assert b'for="id_email"' in page.content and b'for="id_order_number"' in page.content


def test_the_footer_links_to_the_request_page(client):
    assert reverse("account:data_request").encode() in client.get("/").content
