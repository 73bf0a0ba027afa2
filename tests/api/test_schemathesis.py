"""Schemathesis against the live API: every operation in the OpenAPI schema, a bounded
number of generated requests each (valid and invalid), over real HTTP to a live server on
PostgreSQL. No 5xx, and every response matches the schema (status codes, bodies, headers,
content types).

The schema is drf-spectacular's, generated in-process (the one /api/schema/ serves). A
shopper's data exists (categories, products with stock, a shipping method) so generated
requests reach real rows as well as 404s; a staff user with every permission is logged in
for the staff endpoints. Budget: SCHEMATHESIS_MAX_EXAMPLES per operation (default 10,
about two minutes).
Rate limits are reset before each request (the live server shares this process's cache):
they have tests of their own, and here they would turn the run into a wall of 429s.

Left out: the two checks about whether a request should have been accepted. The catalog
filters are lenient where the storefront's forms are (a blank ``sort`` means the default,
not a 400) and pagination answers an impossible page with a 400 message rather than
declaring bounds; neither is a 5xx or a response that breaks the schema.
"""

from __future__ import annotations

import os

import pytest
import requests
import schemathesis
from django.contrib.auth.models import Permission
from django.core.cache import cache
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import negative_data_rejection, positive_data_acceptance
from schemathesis.specs.openapi.checks import ignored_auth

from tests.factories import ProductFactory, UserFactory, make_shipping, make_variant

MAX_EXAMPLES = int(os.environ.get("SCHEMATHESIS_MAX_EXAMPLES", "10"))


def _schema() -> dict:
    import json

    from rest_framework.renderers import JSONRenderer

    generated = SchemaGenerator().get_schema(request=None, public=True)
    return json.loads(JSONRenderer().render(generated))


schema = schemathesis.openapi.from_dict(_schema())


@pytest.fixture
def shop_data(transactional_db):
    product = ProductFactory(title="Field Jacket", slug="field-jacket")
    make_variant(product, price="120.00", stock=50)
    make_shipping(price="8.00")
    staff = UserFactory(username="api-staff", is_staff=True)
    staff.user_permissions.set(Permission.objects.all())
    staff.set_password("a-long-staff-password")
    staff.save()
    return staff


@pytest.fixture
def session(live_server, shop_data):
    """A logged-in staff session (Django's session cookie and CSRF token, as a staff
    integration using session authentication would send)."""
    client = requests.Session()
    login = f"{live_server.url}/admin/login/"
    client.get(login)
    client.post(login, data={"username": "api-staff", "password": "a-long-staff-password",
                             "csrfmiddlewaretoken": client.cookies["csrftoken"],
                             "next": "/admin/"}, headers={"Referer": login})
    assert "sessionid" in client.cookies, "staff login failed"
    client.headers["X-CSRFToken"] = client.cookies["csrftoken"]
    client.headers["Referer"] = live_server.url
    return client


@pytest.mark.postgres
@schema.parametrize()
@settings(max_examples=MAX_EXAMPLES, deadline=None, derandomize=True,
          phases=[Phase.explicit, Phase.generate],
          suppress_health_check=list(HealthCheck))
def test_the_live_api_matches_its_schema_and_never_answers_5xx(case, live_server, session):
    cache.clear()
    # ignored_auth sends a made-up session cookie beside the real one, which the session
    # still carries; HTTP Basic is gone (tests/security/test_api_authentication.py).
    case.call_and_validate(base_url=live_server.url, session=session,
                           excluded_checks=[negative_data_rejection, positive_data_acceptance,
                                            ignored_auth])


def test_an_unrouted_api_url_is_a_json_404(client, db):
    response = client.get("/api/carts/not-a-token/")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found.", "code": "not_found"}
    assert client.get("/no-such-page/")["Content-Type"].startswith("text/html")
