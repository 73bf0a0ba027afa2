from kernel.errors import ShopError


class CatalogError(ShopError):
    """A catalog rule was broken (too many options, duplicate variant, bad image)."""
