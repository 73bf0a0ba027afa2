"""The shopper's IP for fraud screening, behind the shop's own proxies or none."""

import pytest
from django.test import RequestFactory

from shop.web.client_ip import client_ip


def request(remote="10.0.0.5", forwarded=None):
    extra = {"HTTP_X_FORWARDED_FOR": forwarded} if forwarded is not None else {}
    return RequestFactory().get("/", REMOTE_ADDR=remote, **extra)


def test_with_no_trusted_proxy_the_header_is_ignored(settings):
    settings.SHOP_TRUSTED_PROXY_COUNT = 0
    assert client_ip(request(forwarded="203.0.113.7")) == "10.0.0.5"


@pytest.mark.parametrize("proxies,forwarded,expected", [
    (1, "203.0.113.7", "203.0.113.7"),
    # A client can send its own header; the entry our proxy appended is the last one.
    (1, "1.2.3.4, 203.0.113.7", "203.0.113.7"),
    (2, "1.2.3.4, 203.0.113.7, 10.0.0.9", "203.0.113.7"),
    (1, " 2001:db8::1 ", "2001:db8::1"),
])
def test_behind_proxies_the_nth_entry_from_the_right_is_the_shopper(settings, proxies,
                                                                     forwarded, expected):
    settings.SHOP_TRUSTED_PROXY_COUNT = proxies
    assert client_ip(request(forwarded=forwarded)) == expected


@pytest.mark.parametrize("forwarded", [None, "", "203.0.113.7", "not-an-ip, 10.0.0.9"])
def test_a_short_or_broken_header_falls_back_to_the_connection(settings, forwarded):
    settings.SHOP_TRUSTED_PROXY_COUNT = 2
    assert client_ip(request(forwarded=forwarded)) == "10.0.0.5"


def test_no_valid_address_at_all_is_none(settings):
    settings.SHOP_TRUSTED_PROXY_COUNT = 0
    assert client_ip(request(remote="")) is None


def test_the_setting_defaults_to_no_proxy():
    from shop.settings import base

    assert base.SHOP_TRUSTED_PROXY_COUNT == 0
