"""Where shoppers give and withdraw consent: the checkout's email step (one page and the
step page), the account's email preferences, and the unsubscribe link (GET confirm, POST,
and the RFC 8058 one-click POST without a CSRF token). Bad tokens are 4xx, never 500."""

import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from marketing import consent
from marketing.links import unsubscribe_token
from marketing.models import ConsentRecord
from tests.checkout.flow import add
from tests.factories import ProductFactory, UserFactory, make_variant

pytestmark = pytest.mark.django_db
CHECKBOX = re.compile(r'<input type="checkbox" name="marketing_opt_in"[^>]*>')


@pytest.fixture
def mug():
    return make_variant(ProductFactory(title="Trail Mug"), price="18.00", stock=5)


@pytest.mark.parametrize("page", ["checkout:start", "checkout:contact"])
def test_the_checkout_box_is_never_ticked_and_shows_the_recorded_wording(client, mug, page):
    consent.record_consent(email="ada@example.com", granted=True, wording="w", source="checkout")
    add(client, mug)
    client.post(reverse("checkout:contact"), {"email": "ada@example.com"})
    html = client.get(reverse(page)).content.decode()
    [box] = CHECKBOX.findall(html)
    assert "checked" not in box
    assert consent.CHECKOUT_WORDING in html
    assert f'<label for="id_marketing_opt_in">{box} {consent.CHECKOUT_WORDING}</label>' in html


def test_ticking_the_box_at_checkout_records_a_grant_with_the_wording(client, mug):
    add(client, mug)
    response = client.post(reverse("checkout:start"), {
        "section": "contact", "email": "Ada@Example.com", "marketing_opt_in": "on"})
    assert response.status_code == 302
    record = ConsentRecord.objects.get()
    assert (record.email, record.granted, record.source, record.wording) == (
        "ada@example.com", True, "checkout", consent.CHECKOUT_WORDING)
    assert consent.may_email_marketing("ada@example.com")
    # Saving the email again with the box ticked adds no second record.
    client.post(reverse("checkout:contact"), {"email": "ada@example.com",
                                              "marketing_opt_in": "on"})
    assert ConsentRecord.objects.count() == 1


def test_leaving_the_box_unticked_records_nothing_and_keeps_an_earlier_choice(client, mug):
    add(client, mug)
    client.post(reverse("checkout:contact"), {"email": "bo@example.com"})
    assert not ConsentRecord.objects.exists()
    consent.record_consent(email="bo@example.com", granted=True, wording="w", source="account")
    client.post(reverse("checkout:start"), {"section": "contact", "email": "bo@example.com"})
    assert consent.may_email_marketing("bo@example.com")


def test_account_email_preferences_grant_and_withdraw(client):
    user = UserFactory(username="ada", email="ada@example.com")
    client.force_login(user)
    url = reverse("account:email_preferences")
    page = client.get(url).content.decode()
    assert "checked" not in CHECKBOX.search(page).group(0)
    assert consent.ACCOUNT_WORDING in page
    assert client.post(url, {"marketing_opt_in": "on"}).status_code == 302
    assert "checked" in CHECKBOX.search(client.get(url).content.decode()).group(0)
    client.post(url, {})
    records = list(ConsentRecord.objects.order_by("pk").values_list(
        "granted", "source", "wording", "user"))
    assert records == [(True, "account", consent.ACCOUNT_WORDING, user.pk),
                       (False, "account", consent.ACCOUNT_WORDING, user.pk)]
    client.post(url, {})  # nothing changed: nothing recorded
    assert ConsentRecord.objects.count() == 2


def test_email_preferences_need_a_login(client):
    response = client.get(reverse("account:email_preferences"))
    assert response.status_code == 302 and "login" in response["Location"]


def unsubscribe_url(email="ada@example.com"):
    return reverse("marketing:unsubscribe", args=[unsubscribe_token(email)])


def test_unsubscribe_get_shows_a_confirm_button_and_changes_nothing(client):
    consent.record_consent(email="ada@example.com", granted=True, wording="w", source="checkout")
    with CaptureQueriesContext(connection) as queries:
        page = client.get(unsubscribe_url())
    assert page.status_code == 200
    html = page.content.decode()
    assert 'type="submit"' in html and "a•••@example.com" in html
    assert "ada@example.com" not in html
    assert consent.may_email_marketing("ada@example.com")
    assert len(queries) <= 3  # the latest consent record (session and user untouched)


def test_unsubscribe_post_with_the_form_withdraws_consent():
    csrf_client = Client(enforce_csrf_checks=True)
    consent.record_consent(email="ada@example.com", granted=True, wording="w", source="checkout")
    page = csrf_client.get(unsubscribe_url())
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode())
    response = csrf_client.post(unsubscribe_url(), {
        "confirm": "yes", "csrfmiddlewaretoken": token.group(1)})
    assert response.status_code == 200 and "unsubscribed" in response.content.decode()
    assert consent.has_unsubscribed("ada@example.com")
    assert ConsentRecord.objects.order_by("-pk").first().source == "unsubscribe_link"


def test_one_click_unsubscribe_works_without_a_csrf_token_or_cookie():
    mail_client = Client(enforce_csrf_checks=True)
    consent.record_consent(email="ada@example.com", granted=True, wording="w", source="checkout")
    response = mail_client.post(unsubscribe_url(), "List-Unsubscribe=One-Click",
                                content_type="application/x-www-form-urlencoded")
    assert response.status_code == 200
    latest = ConsentRecord.objects.order_by("-pk").first()
    assert (latest.granted, latest.source, latest.wording) == (
        False, "one_click", consent.ONE_CLICK_WORDING)
    # A repeat (mail clients retry) records nothing more.
    mail_client.post(unsubscribe_url(), "List-Unsubscribe=One-Click",
                     content_type="application/x-www-form-urlencoded")
    assert ConsentRecord.objects.count() == 2


def test_a_post_without_the_confirm_field_or_one_click_body_is_refused(client):
    response = client.post(unsubscribe_url(), {})
    assert response.status_code == 400 and not ConsentRecord.objects.exists()


@pytest.mark.parametrize("token", [
    "forged", "a" * 300, "ada@example.com", unsubscribe_token("ada@example.com")[:-2] + "xx",
    "%00%ff", "..", "eyJhIjoxfQ:1abc:def"])
def test_forged_or_altered_unsubscribe_tokens_are_a_400(client, token):
    for method in (client.get, client.post):
        response = method(f"/email/unsubscribe/{token}/")
        assert response.status_code in (400, 404)
    assert not ConsentRecord.objects.exists()


def test_a_token_for_another_purpose_is_refused(client):
    from django.core import signing
    other = signing.dumps("ada@example.com", salt="orders.guest-order-link")
    assert client.post(f"/email/unsubscribe/{other}/",
                       {"confirm": "yes"}).status_code == 400


def test_unsubscribe_with_put_is_a_405(client):
    assert client.put(unsubscribe_url()).status_code == 405


def test_email_preferences_run_a_fixed_number_of_queries(client):
    user = UserFactory(username="ada", email="ada@example.com")
    client.force_login(user)
    url = reverse("account:email_preferences")

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    count()  # warm the caches the page shares with every page (footer pages)
    none = count()
    for granted in (True, False, True, False, True):
        consent.record_consent(email="ada@example.com", user=user, granted=granted,
                               wording="w", source="account")
    assert count() == none


def test_the_unsubscribe_page_runs_a_fixed_number_of_queries(client):
    def count():
        with CaptureQueriesContext(connection) as queries:
            assert client.get(unsubscribe_url()).status_code == 200
        return len(queries)

    count()  # warm the caches the page shares with every page (footer pages)
    none = count()
    for granted in (True, False, True):
        consent.record_consent(email="ada@example.com", granted=granted, wording="w",
                               source="checkout")
    assert count() == none
