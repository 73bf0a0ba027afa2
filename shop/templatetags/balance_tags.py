"""``{% order_balance order as balance %}``: the order's balance (``payments.selectors``) for
the shopper's order page and the order admin, without each view having to load it."""

from django import template

from payments.selectors import OrderBalance
from payments.selectors import order_balance as balance_of

register = template.Library()


@register.simple_tag
def order_balance(order) -> OrderBalance:
    return balance_of(order)
