"""The OpenAPI schema is complete and valid; Swagger UI and Redoc work with no network."""

import re
from html.parser import HTMLParser

import pytest
import yaml
from django.contrib.staticfiles import finders
from django.core.management import call_command
from drf_spectacular.drainage import reset_generator_stats
from drf_spectacular.validation import validate_schema
from rest_framework.test import APIClient

API_PATHS = {
    "/api/categories/",
    "/api/categories/{slug}/products/",
    "/api/products/",
    "/api/products/{slug}/",
    "/api/search/",
}
FILTERS = {"price_min", "price_max", "in_stock", "sort", "page", "page_size"}


@pytest.fixture(scope="module")
def schema():
    response = APIClient().get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    return response.json()


def query_parameters(operation: dict) -> dict[str, dict]:
    return {param["name"]: param for param in operation["parameters"] if param["in"] == "query"}


def test_schema_is_a_valid_openapi_document_listing_every_endpoint(schema):
    validate_schema(schema)

    assert schema["openapi"].startswith("3.")
    assert API_PATHS <= set(schema["paths"])
    for path in API_PATHS:
        assert set(schema["paths"][path]) == {"get"}, f"{path} offers more than GET"


def test_schema_is_served_as_yaml_by_default():
    response = APIClient().get("/api/schema/")

    assert response.status_code == 200
    document = yaml.safe_load(response.content)
    assert API_PATHS <= set(document["paths"])


def test_schema_generates_without_warnings(tmp_path):
    reset_generator_stats()

    # Raises on any warning (an unresolved field, a guessed type) or an invalid document.
    call_command("spectacular", "--file", str(tmp_path / "schema.yml"), "--validate",
                 "--fail-on-warn")

    assert "/api/products/{slug}/" in (tmp_path / "schema.yml").read_text()


@pytest.mark.parametrize("path", ["/api/products/", "/api/categories/{slug}/products/"])
def test_listings_document_their_filters_and_errors(schema, path):
    operation = schema["paths"][path]["get"]

    params = query_parameters(operation)
    assert FILTERS <= set(params)
    assert params["price_min"]["schema"]["type"] == "number"
    assert set(params["sort"]["schema"]["enum"]) == {"featured", "price", "-price", "newest",
                                                     "name"}
    assert "opt.<Name>=<value>" in operation["description"]
    assert {"200", "400", "404"} <= set(operation["responses"])


def test_search_documents_its_required_query(schema):
    operation = schema["paths"]["/api/search/"]["get"]

    assert query_parameters(operation)["q"]["required"] is True
    assert "400" in operation["responses"]


def test_money_is_documented_as_decimal_strings(schema):
    components = schema["components"]["schemas"]
    variant = components["Variant"]["properties"]
    card = components["ProductCard"]["properties"]

    for field in (variant["price"], variant["compare_at_price"], card["price_from"]):
        assert field["type"] == "string" and field["format"] == "decimal"
    assert variant["available"]["type"] == "integer"
    assert {"sku", "barcode", "options", "currency", "weight_grams", "availability"} <= set(variant)


def test_endpoints_are_public(schema):
    for path in API_PATHS:
        assert schema["paths"][path]["get"]["security"] == [{}]


class AssetCollector(HTMLParser):
    """Every URL a page makes the browser load: script sources and linked files."""

    def __init__(self):
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "script" and attributes.get("src"):
            self.urls.append(attributes["src"])
        if tag in {"link", "img"}:
            self.urls.append(attributes.get("href") or attributes.get("src") or "")


@pytest.mark.django_db  # closing a served file ends the request, which checks the connection
@pytest.mark.parametrize("url", ["/api/docs/", "/api/redoc/"])
def test_docs_pages_load_only_local_static_files(url):
    client = APIClient()
    response = client.get(url)

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    html = response.content.decode()
    assert not re.search(r"(https?:)?//[a-z0-9.-]+\.[a-z]{2,}/", html, re.IGNORECASE), (
        "the page refers to another host"
    )
    collector = AssetCollector()
    collector.feed(html)
    assert any(asset.endswith(".js") for asset in collector.urls)
    for asset in collector.urls:
        assert asset.startswith("/static/"), asset
        path = asset.removeprefix("/static/")
        assert finders.find(path), f"{path} is not in any static files folder"
        served = client.get(asset)
        assert served.status_code == 200, asset
        served.close()
    assert "/api/schema/" in html
