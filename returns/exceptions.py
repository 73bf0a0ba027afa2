"""Errors of returns. Each carries a message a shopper or a clerk can read."""

from kernel.errors import ShopError


class ReturnInvalid(ShopError):
    """A return request was refused; ``errors`` maps an order line id (or ``None`` for the
    whole request) to what is wrong with it."""

    code = "return_invalid"

    def __init__(self, message: str, *, errors: dict | None = None, code: str | None = None):
        super().__init__(message, code=code)
        self.errors = errors or {}
