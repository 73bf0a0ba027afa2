"""Security headers: a CSP with no inline script anywhere, the admin's and the docs'
allowances, and templates free of inline script, style and event handlers."""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.django_db


def directives(response, header="Content-Security-Policy") -> dict[str, list[str]]:
    return {part.split()[0]: part.split()[1:]
            for part in response[header].split(";") if part.strip()}


def test_storefront_policy_allows_no_inline_script_or_style(client):
    response = client.get("/")
    policy = directives(response)
    assert policy["default-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["style-src"] == ["'self'"]
    scripts = policy["script-src"]
    assert "'unsafe-inline'" not in scripts and "'unsafe-eval'" not in scripts
    assert scripts[0] == "'self'" and re.fullmatch(r"'nonce-[\w-]{20,}'", scripts[1])
    # A fresh nonce per response.
    assert directives(client.get("/"))["script-src"][1] != scripts[1]


def test_the_admin_and_docs_allow_inline_styles_but_never_inline_scripts(admin_client):
    for url in ["/admin/", "/api/docs/", "/api/redoc/"]:
        policy = directives(admin_client.get(url))
        assert "'unsafe-inline'" in policy["style-src"], url
        assert "'unsafe-inline'" not in policy["script-src"], url


def test_docs_inline_init_scripts_carry_the_nonce(client):
    assert "nonce=" in client.get("/api/docs/").content.decode()  # Swagger UI's init script
    for url in ["/api/docs/", "/api/redoc/"]:
        response = client.get(url)
        nonce = directives(response)["script-src"][1].removeprefix("'nonce-").rstrip("'")
        html = response.content.decode()
        inline = re.findall(r"<script(?![^>]*\bsrc=)([^>]*)>", html)
        assert all(f'nonce="{nonce}"' in attributes for attributes in inline), url


def test_stripe_is_allowed_only_on_order_pages_with_stripe(client, settings):
    assert "https://js.stripe.com" not in client.get("/")["Content-Security-Policy"]
    settings.PAYMENT_GATEWAY = "stripe"
    response = client.get("/order/00000000-0000-0000-0000-000000000000/pay/")
    policy = directives(response)
    assert "https://js.stripe.com" in policy["script-src"]
    assert "https://api.stripe.com" in policy["connect-src"]


def test_report_only_mode(client, settings):
    settings.SHOP_CSP_REPORT_ONLY = True
    response = client.get("/")
    assert "Content-Security-Policy" not in response
    assert "script-src" in response["Content-Security-Policy-Report-Only"]


INLINE = [
    (re.compile(r"<script(?![^>]*\b(src|type=\"application/json\"|nonce)=)[^>]*>", re.I),
     "an inline <script> (use a file in static/js, or the CSP nonce)"),
    (re.compile(r"<style\b", re.I), "a <style> element (use a file in static/css)"),
    (re.compile(r"\sstyle\s*=", re.I), "a style= attribute (use a class)"),
    (re.compile(r"\son[a-z]+\s*=", re.I), "an inline event handler (bind it in static/js)"),
    (re.compile(r"javascript:", re.I), "a javascript: URL"),
]


def test_served_templates_have_no_inline_script_style_or_handlers():
    """Emails are exempt (mail clients need inline styles; no CSP applies to them); admin
    templates may use inline styles, as the admin's policy allows, never inline script."""
    problems = []
    for path in sorted((ROOT / "templates").rglob("*.html")):
        relative = path.relative_to(ROOT / "templates")
        if relative.parts[0] in {"emails", "drf_spectacular"}:
            continue  # drf_spectacular: checked above, inline scripts carry the nonce
        text = path.read_text()
        checks = INLINE if relative.parts[0] != "admin" else [
            check for check in INLINE if "style" not in check[1]]
        for pattern, what in checks:
            if pattern.search(text):
                problems.append(f"{relative}: {what}")
    assert not problems, "\n".join(problems)
