"""The REST API: the catalog with availability and search (read-only), and the cart,
checkout, payment and order endpoints for headless front ends.

``views`` holds one view per operation, ``serializers`` their output and query
shapes. The one exception handler below maps domain errors to 4xx answers; settings
name it as ``shop.api.exception_handler``.
"""

from django.http import HttpRequest, HttpResponse, JsonResponse
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from kernel.errors import ShopError
from shop.web.pages import page_not_found as html_page_not_found


def exception_handler(exc, context):
    if isinstance(exc, ShopError):
        body = {"detail": exc.message, "code": exc.code}
        if getattr(exc, "errors", None):
            body["errors"] = exc.errors
        return Response(body, status=exc.status_code)
    response = drf_exception_handler(exc, context)
    if response is not None and isinstance(response.data, dict) \
            and "detail" in response.data and "code" not in response.data:
        # DRF's own errors (a body that is not JSON, a wrong method, throttling) carry the
        # same documented shape as ours: {"detail", "code"}.
        response.data["code"] = getattr(exc, "default_code", "error")
    return response


def page_not_found(request: HttpRequest, exception=None) -> HttpResponse:
    """handler404: a URL under /api/ that matches no route (a malformed token, a typo) gets
    the API's error shape, as JSON, instead of the storefront's HTML page."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "Not found.", "code": "not_found"}, status=404)
    return html_page_not_found(request, exception)
