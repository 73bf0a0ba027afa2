"""The base of every domain error. Each carries a message a person can read.

Views (through ``ShopErrorMixin``) and the API (through ``shop.api.exception_handler``)
turn these into 4xx answers; they are never a 500.
"""


class ShopError(Exception):
    """A domain rule said no. ``status_code`` is the HTTP answer it maps to."""

    status_code = 400
    code = "invalid"

    def __init__(self, message: str, *, code: str | None = None):
        super().__init__(message)
        self.message = message
        if code:
            self.code = code


class NotFound(ShopError):
    status_code = 404
    code = "not_found"


class InvalidTransition(ShopError):
    status_code = 409
    code = "invalid_transition"
