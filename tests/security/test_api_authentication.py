"""The API accepts only the session (with CSRF), whose only way in is the rate-limited login
form. HTTP Basic (DRF's default) would let anyone try passwords with no limit."""

import base64

import pytest
from django.conf import settings
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.authentication import SessionAuthentication
from rest_framework.test import APIClient

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
PASSWORD = "correct horse battery"


def basic(email: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{email}:{password}".encode()).decode()


def test_basic_authentication_never_logs_anyone_in(settings):
    settings.SHOP_RATE_LIMITS_ENABLED = False  # the hole is Basic itself, not the limit
    UserFactory(username="grace@example.com", email="grace@example.com", password=PASSWORD)
    UserFactory(username="root@example.com", email="root@example.com", password=PASSWORD,
                is_staff=True, is_superuser=True)
    client = APIClient()
    for attempt in range(25):
        response = client.get("/api/orders/",
                              HTTP_AUTHORIZATION=basic("grace@example.com", f"guess{attempt}"))
        assert response.status_code == 403
    assert client.get("/api/orders/", HTTP_AUTHORIZATION=basic(
        "grace@example.com", PASSWORD)).status_code == 403
    assert client.get("/api/purchase-orders/", HTTP_AUTHORIZATION=basic(
        "root@example.com", PASSWORD)).status_code == 403
    assert "WWW-Authenticate" not in client.get("/api/orders/")


def test_the_session_still_works_and_needs_csrf_for_writes():
    user = UserFactory(username="grace@example.com", email="grace@example.com",
                       password=PASSWORD)
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(user)
    assert client.get("/api/orders/").status_code == 200
    response = client.post("/api/carts/", {}, format="json")
    assert response.status_code == 403 and "CSRF" in response.json()["detail"]


def api_views():
    def walk(patterns, prefix=""):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                yield from walk(pattern.url_patterns, prefix + str(pattern.pattern))
            elif isinstance(pattern, URLPattern) and hasattr(pattern.callback, "cls"):
                yield prefix + str(pattern.pattern), pattern.callback.cls
    return list(walk(get_resolver().url_patterns))


def test_every_api_view_authenticates_by_session_only():
    """Any other scheme (Basic, tokens) would be a way to try passwords that the login
    form's rate limit does not see; adding one means rate-limiting it first."""
    assert settings.REST_FRAMEWORK["DEFAULT_AUTHENTICATION_CLASSES"] == [
        "rest_framework.authentication.SessionAuthentication"]
    views = api_views()
    assert len(views) > 20
    for route, view in views:
        assert set(view.authentication_classes) <= {SessionAuthentication}, route
