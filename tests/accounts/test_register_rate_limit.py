"""Sign-ups are rate-limited like login: per address (each one emails it) and per IP."""

import pytest
from django.core import mail
from django.urls import reverse

pytestmark = pytest.mark.django_db
PASSWORD = "correct horse battery"


def sign_up(client, email, ip="203.0.113.9"):
    return client.post(reverse("account:register"), {
        "first_name": "G", "last_name": "H", "email": email,
        "password1": PASSWORD, "password2": PASSWORD}, REMOTE_ADDR=ip)


def test_one_address_gets_a_few_sign_ups_then_429(client, settings):
    settings.SHOP_RATE_LIMITS = {**settings.SHOP_RATE_LIMITS,
                                 "register": {"ip": "100/h", "account": "3/h"}}
    for n in range(3):
        assert sign_up(client, "Victim@example.com", ip=f"203.0.113.{n}").status_code == 302
    response = sign_up(client, "victim@example.com", ip="203.0.113.50")
    assert response.status_code == 429 and int(response["Retry-After"]) > 0
    assert len(mail.outbox) == 3
    assert sign_up(client, "other@example.com", ip="203.0.113.51").status_code == 302


def test_one_ip_gets_a_few_sign_ups_then_429(client, settings):
    settings.SHOP_RATE_LIMITS = {**settings.SHOP_RATE_LIMITS,
                                 "register": {"ip": "5/10m", "account": "3/h"}}
    for n in range(5):
        assert sign_up(client, f"probe{n}@example.com").status_code == 302
    assert sign_up(client, "probe9@example.com").status_code == 429
    assert sign_up(client, "probe9@example.com", ip="198.51.100.7").status_code == 302


def test_the_default_limits_cover_registration(settings):
    assert set(settings.SHOP_RATE_LIMITS["register"]) == {"ip", "account"}
