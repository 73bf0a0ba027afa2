import re
from unittest import mock

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from orders import services as order_services
from orders.links import guest_order_path, guest_order_signature
from orders.models import Address, CartLine
from payments import services as payment_services
from tests.factories import ADDRESS, ProductFactory, UserFactory, make_variant, ready_cart

pytestmark = pytest.mark.django_db
PASSWORD = "correct horse battery"
CARD = {"number": "4242424242424242", "exp_month": "12", "exp_year": "2030", "cvc": "123"}


def customer(email="grace@example.com"):
    return UserFactory(username=email, email=email, password=PASSWORD)


def log_in(client, email="grace@example.com", password=PASSWORD):
    return client.post(reverse("account:login"), {"email": email, "password": password})


def order_for(user=None, lines=1, email="grace@example.com", pay=True):
    variants = {make_variant(ProductFactory(), price="10.00", stock=20): 1 for _ in range(lines)}
    order = order_services.place_order(cart=ready_cart(variants=variants, email=email, user=user),
                                       user=user)
    if pay:
        payment_services.start_payment(order=order, payment_data=CARD)
    return order


def activation_link(message) -> str:
    return re.search(r"https?://\S+/account/activate/\S+/", message.body).group(0)


def test_register_creates_the_account_confirmed_by_email_then_logs_in(client):
    response = client.post(reverse("account:register"), {
        "first_name": "Grace", "last_name": "Hopper", "email": "Grace@Example.com",
        "password1": PASSWORD, "password2": PASSWORD})
    assert response["Location"] == reverse("account:register_done")
    user = get_user_model().objects.get()
    assert (user.username, user.email) == ("grace@example.com", "grace@example.com")
    assert not user.is_active  # until the address is confirmed
    assert log_in(client).status_code == 400
    [message] = mail.outbox
    assert message.to == ["grace@example.com"]
    assert client.get(activation_link(message))["Location"] == reverse("account:login")
    assert log_in(client)["Location"] == reverse("account:dashboard")
    page = client.get(reverse("account:dashboard"))
    assert b"Hello, Grace" in page.content
    client.post(reverse("account:logout"))
    client.get(activation_link(message))  # used: changes nothing
    assert get_user_model().objects.get().is_active


def test_a_wrong_or_forged_activation_link_activates_nothing(client):
    client.post(reverse("account:register"), {
        "first_name": "G", "last_name": "H", "email": "g@example.com",
        "password1": PASSWORD, "password2": PASSWORD})
    link = activation_link(mail.outbox[0])
    uid, token = link.rstrip("/").split("/")[-2:]
    huge = "OTk5OTk5OTk5OTk5OTk5OTk5OTk5"  # 999999999999999999999, past any id
    for forged in (f"/account/activate/{uid}/{token[:-2]}xx/",
                   f"/account/activate/{huge}/{token}/", f"/account/activate/!!/{token}/"):
        assert client.get(forged).status_code == 302
    assert not get_user_model().objects.get().is_active


@pytest.mark.parametrize("changes,field", [
    ({"password1": "12345678", "password2": "12345678"}, "password1"),
    ({"password1": "short", "password2": "short"}, "password1"),
    ({"password2": "something else entirely"}, "password2"),
    ({"email": "not-an-email"}, "email"),
    ({"first_name": ""}, "first_name"),
])
def test_register_bad_input_is_refused(client, changes, field):
    data = {"first_name": "G", "last_name": "H", "email": "g@example.com",
            "password1": PASSWORD, "password2": PASSWORD, **changes}
    response = client.post(reverse("account:register"), data)
    assert response.status_code == 400
    assert field in response.context["form"].errors
    assert not get_user_model().objects.exists()


def test_register_with_a_taken_email_answers_the_same_and_emails_the_owner(client):
    """Nobody learns from the page which addresses are customers: the owner's inbox does."""
    owner = customer()
    new = client.post(reverse("account:register"), {
        "first_name": "N", "last_name": "H", "email": "new@example.com",
        "password1": PASSWORD, "password2": PASSWORD})
    taken = client.post(reverse("account:register"), {
        "first_name": "G", "last_name": "H", "email": "GRACE@example.com",
        "password1": "another horse battery", "password2": "another horse battery"})
    assert (taken.status_code, taken["Location"]) == (new.status_code, new["Location"])
    page = client.get(taken["Location"])
    assert b"Check your email" in page.content and b"already exists" not in page.content
    assert get_user_model().objects.count() == 2
    owner.refresh_from_db()
    assert owner.check_password(PASSWORD) and owner.first_name != "G"
    notice = mail.outbox[-1]
    assert notice.to == ["grace@example.com"] and "already has one" in notice.body
    assert "/account/password-reset/" in notice.body


def test_signing_up_again_before_confirming_sends_the_link_again(client):
    data = {"first_name": "G", "last_name": "H", "email": "g@example.com",
            "password1": PASSWORD, "password2": PASSWORD}
    client.post(reverse("account:register"), data)
    client.post(reverse("account:register"), data)
    assert get_user_model().objects.count() == 1
    assert len(mail.outbox) == 2 and all("/account/activate/" in m.body for m in mail.outbox)


def test_login_wrong_password_and_logout(client):
    customer()
    response = log_in(client, password="wrong password")
    assert response.status_code == 400
    assert b"don&#x27;t match" in response.content
    assert "_auth_user_id" not in client.session
    assert log_in(client).status_code == 302
    assert "_auth_user_id" in client.session
    assert client.get(reverse("account:logout")).status_code == 405
    client.post(reverse("account:logout"))
    assert "_auth_user_id" not in client.session


def test_login_next_is_followed_only_when_it_is_local(client):
    customer()
    ok = client.post(reverse("account:login") + "?next=/cart/",
                     {"email": "grace@example.com", "password": PASSWORD, "next": "/cart/"})
    assert ok["Location"] == "/cart/"
    client.post(reverse("account:logout"))
    evil = client.post(reverse("account:login"), {"email": "grace@example.com",
                                                  "password": PASSWORD,
                                                  "next": "https://evil.example/"})
    assert evil["Location"] == reverse("account:dashboard")


def test_login_merges_the_guest_cart(client):
    user = customer()
    variant = make_variant(ProductFactory(), stock=5)
    mine = order_services.get_or_create_cart(user=user)
    order_services.add_to_cart(cart=mine, variant_id=variant.pk, quantity=2)
    client.post(reverse("checkout:add"), {"variant": variant.pk, "quantity": 4})
    log_in(client)
    assert CartLine.objects.get(cart=mine).quantity == 5  # 2 + 4, capped by stock
    assert client.get(reverse("storefront:home")).context["cart_quantity"]() == 5


def test_password_reset_by_email(client):
    customer()
    client.post(reverse("account:password_reset"), {"email": "grace@example.com"})
    assert len(mail.outbox) == 1
    link = re.search(r"https?://[^/]+(/account/password-reset/\S+/)", mail.outbox[0].body).group(1)
    form_page = client.get(link, follow=True)
    new = "a brand new secret phrase"
    client.post(form_page.redirect_chain[-1][0], {"new_password1": new, "new_password2": new})
    assert log_in(client, password=new).status_code == 302
    # Unknown emails get the same answer and no mail.
    client.post(reverse("account:password_reset"), {"email": "nobody@example.com"})
    assert len(mail.outbox) == 1


def test_address_book_crud_and_other_peoples_addresses(client):
    user = customer()
    other = UserFactory()
    theirs = Address.objects.create(user=other, saved=True, **ADDRESS)
    log_in(client)
    client.post(reverse("account:address_add"), ADDRESS)
    mine = Address.objects.get(user=user)
    bad = client.post(reverse("account:address_edit", args=[mine.pk]),
                      {**ADDRESS, "postal_code": "nope"})
    assert bad.status_code == 400 and "postal_code" in bad.context["form"].errors
    client.post(reverse("account:address_edit", args=[mine.pk]), {**ADDRESS, "city": "Salem"})
    mine.refresh_from_db()
    assert mine.city == "Salem"
    assert client.get(reverse("account:address_edit", args=[theirs.pk])).status_code == 404
    assert client.post(reverse("account:address_edit", args=[theirs.pk]),
                       {**ADDRESS, "city": "Hacked"}).status_code == 404
    assert client.post(reverse("account:address_delete", args=[theirs.pk])).status_code == 404
    theirs.refresh_from_db()
    assert theirs.city == "Portland"
    client.post(reverse("account:address_delete", args=[mine.pk]))
    assert not Address.objects.filter(user=user).exists()


def test_saved_addresses_are_offered_at_checkout(client):
    user = customer()
    Address.objects.create(user=user, saved=True, **ADDRESS)
    log_in(client)
    variant = make_variant(ProductFactory(), stock=5)
    client.post(reverse("checkout:add"), {"variant": variant.pk, "quantity": 1})
    client.post(reverse("checkout:contact"), {"email": "grace@example.com"})
    page = client.get(reverse("checkout:address"))
    assert b"Your saved addresses" in page.content


def test_history_and_detail_show_only_my_orders(client):
    user = customer()
    mine = order_for(user)
    theirs = order_for(UserFactory(), email="other@example.com")
    log_in(client)
    history = client.get(reverse("account:orders"))
    assert mine.number.encode() in history.content
    assert theirs.number.encode() not in history.content
    detail = client.get(reverse("account:order", args=[mine.number]))
    assert detail.status_code == 200
    assert b"Visa" in detail.content and b"Order placed" in detail.content
    assert client.get(reverse("account:order", args=[theirs.number])).status_code == 404


def test_account_pages_need_login(client):
    for name in ("account:dashboard", "account:orders", "account:addresses"):
        response = client.get(reverse(name))
        assert response.status_code == 302 and reverse("account:login") in response["Location"]


def test_guest_reaches_the_order_by_signed_link_only(client):
    order = order_for(email="guest@example.com")
    page = client.get(guest_order_path(order))
    assert page.status_code == 200 and order.number.encode() in page.content
    signature = guest_order_signature(order)
    tampered = signature[:-2] + ("aa" if not signature.endswith("aa") else "bb")
    assert client.get(reverse("account:guest_order", args=[tampered])).status_code == 404
    assert client.get(reverse("account:guest_order", args=["nonsense"])).status_code == 404


def test_guest_link_expires(client, settings):
    order = order_for(email="guest@example.com", pay=False)
    settings.SHOP_ORDER_LINK_MAX_AGE_DAYS = 1
    with mock.patch("django.core.signing.time.time", return_value=0):
        old = guest_order_signature(order)
    response = client.get(reverse("account:guest_order", args=[old]))
    assert response.status_code == 404
    assert b"expired" in response.content


def count_queries(client, url):
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_history_and_detail_queries_do_not_grow(client):
    user = customer()
    first = order_for(user, lines=1)
    log_in(client)
    few = count_queries(client, reverse("account:orders"))
    count_queries(client, reverse("account:order", args=[first.number]))  # cache filled
    one_line = count_queries(client, reverse("account:order", args=[first.number]))
    for _ in range(14):
        order_for(user)
    big = order_for(user, lines=10)
    assert count_queries(client, reverse("account:orders")) == few == 6
    # 10, plus the order's balance (its payments, their gateway calls): 12, however big
    # (the shipping rates come from the shared cache once it is filled).
    assert count_queries(client, reverse("account:order", args=[big.number])) == one_line == 12


def test_odd_order_numbers_are_404_not_500(client):
    customer()
    log_in(client)
    for number in ("%00", "1%002", "x" * 40, "a b"):
        assert client.get(f"/account/orders/{number}/").status_code == 404
