"""The database went away mid-request: answer 503 with Retry-After, never a 500.

A dropped PostgreSQL connection (failover, restart, a killed backend, a full connection
pool) surfaces as ``django.db.OperationalError`` or ``InterfaceError``. Services own their
transactions, so the transaction that was open is rolled back by the server and nothing is
half-written; the shopper is told to try again, and API clients get the shop's error shape
with ``code: "service_unavailable"``. The broken connection is closed at the end of the
request (Django's ``close_old_connections``) and the next request opens a new one.

``DatabaseUnavailableMiddleware`` catches it from views (DRF re-raises what its handler does
not know); ``server_error`` (``handler500``) catches it from other middleware, such as a
session saved after the view ran. Neither touches the database: the page is rendered
without the request's context processors.
"""

from __future__ import annotations

import json
import logging
import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse
from django.template import loader

from shop.web.pages import server_error as error_page

logger = logging.getLogger(__name__)
DATABASE_ERRORS = (OperationalError, InterfaceError)
RETRY_AFTER_SECONDS = 30
MESSAGE = "The shop is briefly unavailable. Please try again in a moment."


def unavailable_response(request: HttpRequest) -> HttpResponse:
    if request.path.startswith("/api/"):
        response = HttpResponse(
            json.dumps({"detail": MESSAGE, "code": "service_unavailable"}),
            content_type="application/json", status=503)
    else:
        response = HttpResponse(loader.render_to_string("503.html", {"message": MESSAGE}),
                                status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response


class DatabaseUnavailableMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception):
        if isinstance(exception, DATABASE_ERRORS):
            logger.error("Database unavailable during %s %s: %s", request.method,
                         request.path, exception)
            return unavailable_response(request)
        return None


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500: a database error raised outside a view is still a 503."""
    if isinstance(sys.exc_info()[1], DATABASE_ERRORS):
        return unavailable_response(request)
    return error_page(request)
