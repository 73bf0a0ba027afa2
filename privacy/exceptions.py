"""Data request errors: each a message a person can read, mapped to a 4xx."""

from kernel.errors import ShopError


class ErasureRefused(ShopError):
    """Erasing now would part money from goods: an order is still open."""

    status_code = 409
    code = "erasure_refused"


class DataRequestInvalid(ShopError):
    """The request can't be carried out as asked (wrong kind, already done, no address)."""

    status_code = 409
    code = "data_request_invalid"


class DataLinkInvalid(ShopError):
    """A guest's data link that the shop did not sign, or that was altered."""

    status_code = 404
    code = "data_link_invalid"


class DataLinkExpired(ShopError):
    """A guest's data link past its age, or used already to erase the data it opened."""

    status_code = 410
    code = "data_link_expired"
