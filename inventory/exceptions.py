from kernel.errors import ShopError


class StockError(ShopError):
    """A stock operation would break a rule (negative quantity, count below allocated)."""
