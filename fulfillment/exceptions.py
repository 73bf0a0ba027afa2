"""Fulfillment's errors, where services, carriers and views all find them."""

from kernel.errors import ShopError


class FulfillmentError(ShopError):
    code = "fulfillment_invalid"


class CarrierError(Exception):
    """The carrier could not be reached or failed: worth retrying."""
