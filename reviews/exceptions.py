"""Why a review is refused: each a message the reviewer (or the moderator) can act on."""

from kernel.errors import ShopError


class ReviewError(ShopError):
    """Bad input: a rating out of range, a body too short or with HTML in it."""


class NotAVerifiedBuyer(ShopError):
    status_code = 403
    code = "not_a_verified_buyer"


class AlreadyReviewed(ShopError):
    status_code = 409
    code = "already_reviewed"
