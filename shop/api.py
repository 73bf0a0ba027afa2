"""The REST API's shared pieces: one exception handler that maps domain errors to 4xx."""

from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from .exceptions import ShopError


def exception_handler(exc, context):
    if isinstance(exc, ShopError):
        return Response({"detail": exc.message, "code": exc.code}, status=exc.status_code)
    return drf_exception_handler(exc, context)
