"""Every URL in the URLconf, asked with every HTTP method (and one that does not exist), by a
visitor and by a superuser: never a 500. A view that takes only GET and POST answers the
others with 405, a page for browsers answers OPTIONS without rendering a template it lacks.

Path parameters are filled by converter: ids that exist nowhere, a random UUID, a made-up
slug, so views reach their "not found" answers as well as their method checks.
"""

from __future__ import annotations

import re
import uuid

import pytest
from django.test import Client

from tests.factories import UserFactory
from tests.shop.test_authorization_sweep import routes

pytestmark = pytest.mark.django_db

METHODS = ["GET", "HEAD", "OPTIONS", "POST", "PUT", "PATCH", "DELETE", "TRACE", "PROPFIND"]
FILL = {"int": "987654", "uuid": str(uuid.UUID(int=7)), "slug": "no-such-thing",
        "str": "no-such-thing", "path": "no/such/thing"}
PARAMETER = re.compile(r"<(?:(\w+):)?\w+>")


def concrete(route: str) -> str | None:
    """The route with its parameters filled, or None for a regular expression route (the
    admin's, swept by tests/shop/test_authorization_sweep.py)."""
    if "^" in route or "(?P" in route or "\\" in route:
        return None
    return PARAMETER.sub(lambda match: FILL.get(match.group(1) or "str", "x"), route)


def urls() -> list[str]:
    found = sorted({url for _, route in routes() if (url := concrete(route))})
    assert len(found) > 50  # the sweep really walked the URLconf
    return found


def _sweep(client: Client) -> list[str]:
    failures = []
    for url in urls():
        for method in METHODS:
            response = client.generic(method, url)
            if response.status_code >= 500:
                failures.append(f"{method} {url}: {response.status_code}")
    return failures


def test_no_url_answers_any_method_with_a_500_to_a_visitor(settings):
    settings.SHOP_RATE_LIMITS_ENABLED = False
    assert _sweep(Client(raise_request_exception=False)) == []


def test_no_url_answers_any_method_with_a_500_to_a_superuser(settings):
    settings.SHOP_RATE_LIMITS_ENABLED = False
    client = Client(raise_request_exception=False)
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    assert _sweep(client) == []


def test_the_api_documentation_pages_take_get_and_refuse_options(client):
    for url in ("/api/docs/", "/api/redoc/"):
        assert client.get(url).status_code == 200
        assert client.options(url).status_code == 405
