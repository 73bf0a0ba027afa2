from decimal import Decimal

from django import template
from django.conf import settings

from kernel.money import Money
from orders import shopper as orders_shopper

register = template.Library()


@register.filter
def money(amount: Decimal | None, currency: str | None = None) -> str:
    """Format an amount with its currency, rounded once, here, by the money helper."""
    if amount is None or amount == "":
        return ""
    return str(Money(Decimal(amount), currency or settings.SHOP_CURRENCY))


@register.simple_tag(takes_context=True)
def query_with(context, **changes) -> str:
    """The current query string with some parameters replaced (None removes one)."""
    params = context["request"].GET.copy()
    for key, value in changes.items():
        if value is None:
            params.pop(key, None)
        else:
            params[key] = value
    return params.urlencode()


@register.filter
def shopper_status(order) -> str:
    """The order's state in the shopper's words ("Awaiting payment", "Delivered",
    "Refunded", "Canceled"; never "Open")."""
    return orders_shopper.shopper_status(order)


@register.filter
def price_total(line) -> Decimal:
    """An order line's unit price × quantity: the base the order's subtotal adds up (the
    line's stored ``total`` has its discount share and, unless prices include tax, its tax
    in it; those show as the order's own Discount and Tax rows)."""
    return line.unit_price * line.quantity


@register.filter
def in_shop_zone(value):
    """A datetime in the shop's time zone (SHOP_TIME_ZONE), for |date and |time with "T"
    (marked, as Django's |timezone does, so those filters keep the zone)."""
    from django.templatetags.tz import do_timezone

    return do_timezone(value, settings.SHOP_TIME_ZONE) if value else value
