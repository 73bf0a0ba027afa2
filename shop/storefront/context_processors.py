from django.conf import settings

from .cart import cart_quantity
from .pages import footer_links
from .selectors import request_category_tree


def storefront(request):
    """What every storefront page needs: shop name, category navigation, currency."""
    return {
        "shop_name": settings.SHOP_NAME,
        "shop_currency": settings.SHOP_CURRENCY,
        "return_window_days": settings.SHOP_RETURN_WINDOW_DAYS,
        "category_tree": lambda: request_category_tree(request),
        "cart_quantity": lambda: cart_quantity(request),
        "footer_pages": footer_links,
    }
