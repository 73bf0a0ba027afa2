"""Rate limits: login, password reset, voucher codes, order lookup and checkout placement,
per IP and per account, counted in the cache; a 429 page for the shop, DRF's throttling
answer for the API, both with Retry-After."""

import time
import uuid

import pytest

from shop.web import rate_limits
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def limits(settings):
    def set_limits(**scopes):
        settings.SHOP_RATE_LIMITS = {**settings.SHOP_RATE_LIMITS, **scopes}
    return set_limits


def assert_throttled_page(response):
    assert response.status_code == 429
    assert "429.html" in [t.name for t in response.templates]
    assert "Too many attempts" in response.content.decode()
    assert 0 < int(response["Retry-After"]) <= 3600


def assert_throttled_api(response):
    assert response.status_code == 429
    retry = int(response["Retry-After"])
    assert response.json() == {
        "detail": f"Request was throttled. Expected available in {retry} seconds.",
        "code": "throttled"}  # the API's documented error shape


def test_rates_parse_and_bad_ones_are_refused():
    assert rate_limits.parse_rate("10/15m") == (10, 900)
    assert rate_limits.parse_rate("3/h") == (3, 3600)
    assert rate_limits.parse_rate("100/1d") == (100, 86400)
    with pytest.raises(ValueError):
        rate_limits.parse_rate("ten per minute")


def test_login_is_limited_per_ip(client, limits):
    limits(login={"ip": "3/10m", "account": "100/10m"})
    for n in range(3):
        answer = client.post("/account/login/", {"email": f"u{n}@example.com",
                                                 "password": "wrong"})
        assert answer.status_code == 400
    assert_throttled_page(client.post("/account/login/", {"email": "x@example.com",
                                                          "password": "wrong"}))
    # Another address is counted apart.
    assert client.post("/account/login/", {"email": "x@example.com", "password": "wrong"},
                       REMOTE_ADDR="10.0.0.9").status_code == 400
    assert client.get("/account/login/").status_code == 200  # only attempts count


def test_login_is_limited_per_account_across_ips(client, limits):
    limits(login={"ip": "100/10m", "account": "2/10m"})
    UserFactory(username="ada", email="ada@example.com")
    for n in range(2):
        client.post("/account/login/", {"email": "ADA@example.com", "password": "guess"},
                    REMOTE_ADDR=f"10.0.0.{n}")
    # Even the right password waits: the account is under attack.
    assert_throttled_page(client.post("/account/login/", {
        "email": "ada@example.com", "password": "correct horse battery"},
        REMOTE_ADDR="10.0.0.77"))
    assert client.post("/account/login/", {"email": "bob@example.com", "password": "guess"},
                       REMOTE_ADDR="10.0.0.78").status_code == 400


def test_the_window_ends(client, limits, monkeypatch):
    limits(login={"ip": "1/1m"})
    now = time.time()
    monkeypatch.setattr(rate_limits.time, "time", lambda: now)
    client.post("/account/login/", {"email": "a@example.com", "password": "x"})
    assert client.post("/account/login/", {"email": "a@example.com",
                                           "password": "x"}).status_code == 429
    monkeypatch.setattr(rate_limits.time, "time", lambda: now + 61)
    assert client.post("/account/login/", {"email": "a@example.com",
                                           "password": "x"}).status_code == 400


def test_admin_login_is_limited(client, limits):
    limits(login={"ip": "2/10m"})
    for _ in range(2):
        assert client.post("/admin/login/", {"username": "root",
                                             "password": "x"}).status_code == 200
    assert_throttled_page(client.post("/admin/login/", {"username": "root", "password": "x"}))


def test_password_reset_is_limited_per_email(client, limits, mailoutbox):
    limits(password_reset={"ip": "100/h", "account": "2/h"})
    UserFactory(username="ada", email="ada@example.com")
    for n in range(2):
        assert client.post("/account/password-reset/", {"email": "ada@example.com"},
                           REMOTE_ADDR=f"10.0.1.{n}").status_code == 302
    assert_throttled_page(client.post("/account/password-reset/",
                                      {"email": "ada@example.com"}, REMOTE_ADDR="10.0.1.9"))
    assert len(mailoutbox) == 2


def test_voucher_attempts_are_limited(client, limits):
    limits(voucher={"ip": "3/10m"})
    for _ in range(3):
        assert client.post("/checkout/voucher/", {"code": "GUESS"}).status_code == 302
    assert_throttled_page(client.post("/checkout/voucher/", {"code": "GUESS"}))


def test_checkout_placement_is_limited_per_ip_and_per_account(client, limits):
    limits(checkout={"ip": "2/h", "account": "3/h"})
    for _ in range(2):
        assert client.post("/checkout/review/", {}).status_code == 302
    assert_throttled_page(client.post("/checkout/review/", {}))
    assert client.get("/checkout/review/").status_code == 302  # looking is not placing

    client.force_login(UserFactory())
    for n in range(3):
        assert client.post("/checkout/review/", {},
                           REMOTE_ADDR=f"10.0.2.{n}").status_code == 302
    assert_throttled_page(client.post("/checkout/review/", {}, REMOTE_ADDR="10.0.2.99"))


def test_guest_order_links_and_tracking_links_share_a_lookup_limit(client, limits):
    limits(order_lookup={"ip": "3/10m"})
    assert client.get("/orders/view/forged:signature/").status_code == 404
    assert client.get("/orders/view/forged:signature/invoice.pdf").status_code == 404
    assert client.get("/track/forged:signature/").status_code == 404
    assert_throttled_page(client.get("/track/another/"))
    assert_throttled_page(client.get("/orders/view/another/"))


def test_api_answers_in_drf_throttling_shape(client, limits):
    limits(voucher={"ip": "2/10m"}, checkout={"ip": "1/10m"}, order_lookup={"ip": "1/10m"})
    cart = f"/api/carts/{uuid.uuid4()}"
    for _ in range(2):
        assert client.put(f"{cart}/voucher/", {"code": "X"},
                          content_type="application/json").status_code == 404
    assert_throttled_api(client.put(f"{cart}/voucher/", {"code": "X"},
                                    content_type="application/json"))
    assert client.post(f"{cart}/order/").status_code == 404
    assert_throttled_api(client.post(f"{cart}/order/"))
    order = f"/api/orders/{uuid.uuid4()}/"
    assert client.get(order).status_code == 404
    assert_throttled_api(client.get(order, {"signature": "guess"}))


def test_limits_can_be_switched_off(client, settings):
    settings.SHOP_RATE_LIMITS_ENABLED = False
    settings.SHOP_RATE_LIMITS = {"login": {"ip": "1/h"}}
    for _ in range(3):
        assert client.post("/account/login/", {"email": "a@example.com",
                                                "password": "x"}).status_code == 400
