"""Errors of carts, checkout and orders. Each carries a message a shopper can read."""

from kernel.errors import ShopError


class CartError(ShopError):
    code = "cart_invalid"


class OutOfStock(ShopError):
    """Not enough units left. 409: the request was fine, the stock ran out."""

    status_code = 409
    code = "out_of_stock"


class CheckoutIncomplete(ShopError):
    code = "checkout_incomplete"


class AddressInvalid(ShopError):
    """An address failed validation; ``errors`` maps each field to its messages."""

    code = "address_invalid"

    def __init__(self, errors: dict[str, list[str]]):
        details = "; ".join(f"{field.replace('_', ' ')}: {' '.join(messages)}"
                            for field, messages in errors.items())
        super().__init__(f"Please correct the address: {details}")
        self.errors = errors


class VoucherInvalid(ShopError):
    code = "voucher_invalid"


class ShippingUnavailable(ShopError):
    code = "shipping_unavailable"
