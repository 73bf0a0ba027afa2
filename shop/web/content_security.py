"""The Content-Security-Policy header on every response.

The storefront runs no inline script or style: scripts and styles come from /static/, and
a per-request nonce (``request.csp_nonce``, ``{{ request.csp_nonce }}`` in templates) is
the only way to mark a script block as the shop's own. Two areas get allowances:

- the admin (``ADMIN_URL``) and the API docs accept inline *styles* ('unsafe-inline' in
  style-src): Django admin widgets, the shop's admin columns, Swagger UI and Redoc write
  style attributes and style elements. Scripts stay 'self' plus the nonce there too (the
  docs' init scripts carry it: ``templates/drf_spectacular/``); Redoc runs a worker from a
  blob: URL.
- the pay page with Stripe loads Stripe.js from js.stripe.com, frames it and calls its API.

``SHOP_CSP_REPORT_ONLY`` sends the policy as Content-Security-Policy-Report-Only (to try a
change in production first); ``SHOP_CSP_EXTRA_IMG_SRC`` adds image hosts (an S3 bucket or
CDN serving the product photos).
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.http import HttpRequest, HttpResponse

STRIPE = {"script-src": ["https://js.stripe.com"],
          "frame-src": ["https://js.stripe.com", "https://hooks.stripe.com"],
          "connect-src": ["https://api.stripe.com"]}
DOCS_PATHS = ("/api/docs/", "/api/redoc/")


def policy(request: HttpRequest, nonce: str) -> str:
    directives: dict[str, list[str]] = {
        "default-src": ["'self'"],
        "script-src": ["'self'", f"'nonce-{nonce}'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:", *settings.SHOP_CSP_EXTRA_IMG_SRC],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "frame-src": ["'self'"],
        "worker-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
    path = request.path
    if path.startswith(f"/{settings.ADMIN_URL}") or path.startswith(DOCS_PATHS):
        directives["style-src"].append("'unsafe-inline'")
    if path.startswith("/api/redoc/"):
        directives["worker-src"].append("blob:")
    if settings.PAYMENT_GATEWAY == "stripe" and path.startswith("/order/"):
        for name, sources in STRIPE.items():
            directives[name] += sources
    return "; ".join(f"{name} {' '.join(sources)}" for name, sources in directives.items())


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.csp_nonce = secrets.token_urlsafe(18)
        response = self.get_response(request)
        header = ("Content-Security-Policy-Report-Only" if settings.SHOP_CSP_REPORT_ONLY
                  else "Content-Security-Policy")
        if header not in response:
            response[header] = policy(request, request.csp_nonce)
        return response
