"""The shopper's side of returns: from the order page (account or signed guest link) to a
requested return, its status and timeline, and the prepaid label."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from orders.links import guest_order_path, guest_order_signature, order_token_from_signature
from returns import services
from returns.models import ReturnLine, ReturnRequest
from tests.factories import UserFactory

from .conftest import line_of

pytestmark = pytest.mark.django_db(transaction=True)


def form_url(order, *, guest=False):
    if guest:
        return reverse("account:guest_order_return", args=[guest_order_signature(order)])
    return reverse("account:order_return", args=[order.number])


def post_return(client, order, lines, *, guest=False, resolution="refund", note=""):
    data = {"resolution": resolution, "customer_note": note}
    for line, fields in lines.items():
        for name, value in fields.items():
            data[f"{name}-{line.pk}"] = value
    return client.post(form_url(order, guest=guest), data)


def test_a_customer_requests_a_return_from_the_order_page(client, delivered_order, customer):
    order = delivered_order(user=customer)
    client.force_login(customer)
    page = client.get(reverse("account:order", args=[order.number]))
    assert form_url(order).encode() in page.content and b"Return items" in page.content
    form = client.get(form_url(order))
    assert form.status_code == 200
    assert b"up to 2 can be returned" in form.content and b"Exchange for" in form.content
    shirt = line_of(order, "SHIRT-M")
    response = post_return(client, order, {shirt: {"qty": "1", "reason": "wrong_size"}},
                           note="Runs small")
    assert response.status_code == 302
    rma = ReturnRequest.objects.get()
    assert rma.customer_note == "Runs small"
    assert [(line.order_line.sku, line.quantity, line.reason) for line in rma.lines.all()] == [
        ("SHIRT-M", 1, "wrong_size")]
    page = client.get(response["Location"])
    assert f"Return {rma.number}".encode() in page.content
    assert b'data-return-state="requested"' in page.content
    assert b"Return requested: 1 item(s) for refund." in page.content


def test_an_exchange_is_requested_with_the_other_size(client, delivered_order, customer,
                                                      catalog):
    order = delivered_order(user=customer, mugs=0)
    client.force_login(customer)
    shirt = line_of(order, "SHIRT-M")
    response = post_return(client, order, {shirt: {"qty": "1", "reason": "wrong_size",
                                                   "exchange": str(catalog["large"].pk)}},
                           resolution="exchange")
    assert response.status_code == 302
    line = ReturnLine.objects.get()
    assert line.exchange_variant == catalog["large"]
    assert line.return_request.resolution == "exchange"


def test_a_guest_returns_through_the_signed_link_only(client, delivered_order):
    order = delivered_order(email="guest@example.com")
    page = client.get(guest_order_path(order))
    # Signed links carry a timestamp (a link signed by the test a second later differs):
    # follow the page's own link, and unsign it to check whose order it names.
    (signature,) = set(re.findall(r'href="/orders/view/([^/"]+)/return/"',
                                  page.content.decode()))
    assert order_token_from_signature(signature) == order.token
    form = reverse("account:guest_order_return", args=[signature])
    assert client.get(form).status_code == 200
    shirt = line_of(order, "SHIRT-M")
    response = client.post(form, {"resolution": "refund", "customer_note": "",
                                  f"qty-{shirt.pk}": "2", f"reason-{shirt.pk}": "damaged"})
    assert response.status_code == 302
    signature = response["Location"].removeprefix("/orders/view/").strip("/")
    assert order_token_from_signature(signature) == order.token  # back to the order page
    assert ReturnRequest.objects.get().lines.get().quantity == 2
    bad = reverse("account:guest_order_return", args=["not-a-signature"])
    assert client.get(bad).status_code == 404
    assert client.post(bad, {"resolution": "refund"}).status_code == 404


def test_another_customers_order_is_not_found(client, delivered_order, customer):
    theirs = delivered_order(user=UserFactory(email="bob@example.com"), email="bob@example.com")
    client.force_login(customer)
    assert client.get(form_url(theirs)).status_code == 404
    shirt = line_of(theirs, "SHIRT-M")
    assert post_return(client, theirs, {shirt: {"qty": "1", "reason": "damaged"}}
                       ).status_code == 404
    assert not ReturnRequest.objects.exists()


def test_the_return_page_needs_a_login(client, delivered_order, customer):
    order = delivered_order(user=customer)
    response = client.get(form_url(order))
    assert response.status_code == 302 and reverse("account:login") in response["Location"]


def test_nothing_returnable_sends_the_shopper_back_with_a_message(client, delivered_order,
                                                                  customer):
    order = delivered_order(user=customer, delivered=False)
    client.force_login(customer)
    page = client.get(reverse("account:order", args=[order.number]))
    assert form_url(order).encode() not in page.content
    response = client.get(form_url(order), follow=True)
    assert b"Nothing on this order can be returned" in response.content


@pytest.mark.parametrize("fields, words", [
    ({"qty": "abc", "reason": "damaged"}, b"You can return between 0 and 2"),
    ({"qty": "5", "reason": "damaged"}, b"You can return between 0 and 2"),
    ({"qty": "-1", "reason": "damaged"}, b"You can return between 0 and 2"),
    ({"qty": "1"}, b"Choose a reason for this item."),
    ({"qty": "1", "reason": "other"}, b"Tell us the reason."),
    ({"qty": "1", "reason": "nonsense"}, b"Select a valid choice"),
    ({"qty": "0", "reason": "damaged"}, b"Choose at least one item"),
    ({"qty": "1", "reason": "other", "note": "x" * 301}, b"at most 300 characters"),
])
def test_bad_input_is_a_400_with_the_message_and_nothing_written(client, delivered_order,
                                                                 customer, fields, words):
    order = delivered_order(user=customer)
    client.force_login(customer)
    response = post_return(client, order, {line_of(order, "SHIRT-M"): fields})
    assert response.status_code == 400
    assert words in response.content
    assert not ReturnRequest.objects.exists()


def test_an_exchange_without_a_choice_or_with_a_foreign_variant_is_refused(
        client, delivered_order, customer, catalog):
    order = delivered_order(user=customer)
    client.force_login(customer)
    shirt, mug = line_of(order, "SHIRT-M"), line_of(order, "MUG")
    response = post_return(client, order, {shirt: {"qty": "1", "reason": "wrong_size"}},
                           resolution="exchange")
    assert response.status_code == 400 and b"Choose what you would like instead" in \
        response.content
    response = post_return(client, order, {shirt: {"qty": "1", "reason": "wrong_size",
                                                   "exchange": str(catalog["mug"].pk)}},
                           resolution="exchange")
    assert response.status_code == 400 and b"Select a valid choice" in response.content
    response = post_return(client, order, {mug: {"qty": "1", "reason": "damaged"}},
                           resolution="exchange")
    assert response.status_code == 400 and b"no other size or colour" in response.content
    assert not ReturnRequest.objects.exists()


def test_a_nul_byte_in_the_note_is_refused_not_a_500(client, delivered_order, customer):
    order = delivered_order(user=customer)
    client.force_login(customer)
    response = post_return(client, order, {line_of(order, "SHIRT-M"): {
        "qty": "1", "reason": "other", "note": "bad\x00note"}})
    assert response.status_code == 400
    assert not ReturnRequest.objects.exists()


def test_final_sale_and_closed_window_lines_are_listed_as_not_returnable(
        client, delivered_order, customer, catalog):
    catalog["shirt"].final_sale = True
    catalog["shirt"].save()
    order = delivered_order(user=customer)
    client.force_login(customer)
    page = client.get(form_url(order))
    assert b"Final sale: this item can" in page.content
    assert b"How many Stoneware Mug?" in page.content
    assert b"How many Linen Shirt" not in page.content


def test_the_approved_label_downloads_for_its_owner_only(client, delivered_order, customer):
    order = delivered_order(user=customer)
    rma = services.request_return(order_id=order.pk, resolution="refund", lines=[
        services.RequestedLine(order_line_id=line_of(order, "MUG").pk, quantity=1,
                               reason="changed_mind")])
    services.approve_return(return_id=rma.pk, message="See you soon")
    client.force_login(customer)
    page = client.get(reverse("account:order", args=[order.number]))
    label_url = reverse("account:return_label", args=[order.number, rma.number])
    assert label_url.encode() in page.content and b"See you soon" in page.content
    response = client.get(label_url)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    guest_label = reverse("account:guest_return_label",
                          args=[guest_order_signature(order), rma.number])
    assert client.get(guest_label).status_code == 200
    client.force_login(UserFactory(email="eve@example.com"))
    assert client.get(label_url).status_code == 404
    assert client.get(reverse("account:return_label",
                              args=[order.number, "RMA-1"])).status_code == 404


def count_queries(client, url):
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_order_and_return_pages_have_a_fixed_number_of_queries(client, delivered_order,
                                                               customer):
    order = delivered_order(user=customer, shirts=2, mugs=1)
    client.force_login(customer)
    services.request_return(order_id=order.pk, resolution="refund", lines=[
        services.RequestedLine(order_line_id=line_of(order, "MUG").pk, quantity=1,
                               reason="changed_mind")])
    order_page = reverse("account:order", args=[order.number])
    count_queries(client, order_page)  # shared cached reads (shipping rates) filled once
    one_return = count_queries(client, order_page)
    form_one = count_queries(client, form_url(order))
    for _ in range(2):
        rma = services.request_return(order_id=order.pk, resolution="refund", lines=[
            services.RequestedLine(order_line_id=line_of(order, "SHIRT-M").pk, quantity=1,
                                   reason="changed_mind")])
        services.approve_return(return_id=rma.pk, method="drop_off")
    assert count_queries(client, order_page) == one_return
    bigger = delivered_order(user=customer, shirts=3, mugs=3)
    assert count_queries(client, form_url(bigger)) == form_one


def test_the_product_page_states_the_return_policy(client, catalog):
    from catalog.services import save_product

    url = catalog["shirt"].get_absolute_url()
    assert b"Free returns within 30 days of delivery." in client.get(url).content
    catalog["shirt"].final_sale = True
    save_product(product=catalog["shirt"])
    page = client.get(url).content
    assert b"Final sale:" in page and b"Free returns" not in page
