"""Placing and paying orders through the services, for the webhook tests."""

from orders import services as order_services
from payments import services as payment_services
from tests.factories import ready_cart

CARD = {"number": "4242424242424242", "exp_month": "12", "exp_year": "2030", "cvc": "123"}


def place(variant, quantity=1, email="ada@example.com"):
    return order_services.place_order(cart=ready_cart(variants={variant: quantity},
                                                      email=email))


def pay(order):
    payment_services.start_payment(order=order, payment_data=CARD)
