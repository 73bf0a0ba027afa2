"""The REST API: the catalog with availability and search (read-only), and the cart,
checkout, payment and order endpoints for headless front ends.

``views`` holds one view per operation, ``serializers`` their output and query
shapes. The one exception handler below maps domain errors to 4xx answers; settings
name it as ``shop.api.exception_handler``.
"""

from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from shop.exceptions import ShopError


def exception_handler(exc, context):
    if isinstance(exc, ShopError):
        body = {"detail": exc.message, "code": exc.code}
        if getattr(exc, "errors", None):
            body["errors"] = exc.errors
        return Response(body, status=exc.status_code)
    return drf_exception_handler(exc, context)
