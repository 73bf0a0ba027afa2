"""Issue 19, data requests: what may still happen to a person's orders while, or after,
their account is closed. An account being closed takes no new order (the order service
locks the account first and refuses an inactive one); a return can't be requested on an
order whose person was erased; erasure leaves no trace of the address (any letter case)
or IP in the timeline's messages and data, nor in the fraud screening's reasons."""

import pytest

from kernel.errors import InvalidTransition, ShopError
from orders import services as order_services
from orders.exceptions import CheckoutIncomplete
from orders.models import Cart, Order, OrderEvent
from privacy import services
from tests.concurrency import run_concurrently
from tests.factories import UserFactory, ready_cart
from tests.returns.conftest import ask

pytestmark = pytest.mark.django_db


def test_an_inactive_account_places_no_order(ada, catalog):
    cart = ready_cart(variants={catalog["mug"]: 1}, user=ada, email=ada.email)
    ada.is_active = False
    ada.save(update_fields=["is_active"])

    with pytest.raises(CheckoutIncomplete, match="closed or disabled"):
        order_services.place_order(cart=cart, user=ada)
    assert not Order.objects.exists()
    assert Cart.objects.get(pk=cart.pk).status == Cart.Status.OPEN


def test_a_return_is_refused_on_an_order_whose_person_was_erased(ada, delivered_order):
    order = delivered_order(user=ada)
    services.close_account(user=ada)

    with pytest.raises(InvalidTransition, match="personal data of order .* was erased"):
        ask(order)
    assert not order.returns.exists()


def test_erasure_scrubs_the_address_in_any_case_from_timeline_text_data_and_risk_reasons(
        ada, delivered_order):
    order = delivered_order(user=ada)
    Order.objects.filter(pk=order.pk).update(
        customer_ip="203.0.113.9",
        risk_reasons=["3 other orders from ADA@Example.com or 203.0.113.9 in the last hour",
                      "Order value is high"])
    event = OrderEvent.objects.create(
        order=order, type=OrderEvent.Type.NOTE,
        message="Confirmation sent to Ada@EXAMPLE.com from 203.0.113.9",
        data={"to": "ADA@example.com", "copies": [{"email": "ada@example.COM"}],
              "ip": "203.0.113.9", "total": "52.50", "lines": 2})

    services.close_account(user=ada)

    event.refresh_from_db()
    assert event.message == "Confirmation sent to [erased] from [erased]"
    assert event.data == {"to": "[erased]", "copies": [{"email": "[erased]"}],
                          "ip": "[erased]", "total": "52.50", "lines": 2}
    order.refresh_from_db()
    assert order.risk_reasons == ["3 other orders from [erased] or [erased] in the last hour",
                                  "Order value is high"]
    leftovers = [e.message for e in OrderEvent.objects.filter(order=order)
                 if "ada@example.com" in (e.message + str(e.data)).lower()]
    assert not leftovers


@pytest.mark.django_db(transaction=True)
@pytest.mark.postgres
@pytest.mark.parametrize("round_number", range(4))
def test_an_order_placed_while_the_account_closes_never_lands_on_an_erased_person(
        round_number, catalog):
    """Either the order goes first (then the closing is refused: an order is open) or the
    closing does (then the order is refused: the account is inactive). Never both, and
    never a crash or a deadlock."""
    ada = UserFactory(username=f"ada{round_number}@example.com",
                      email=f"ada{round_number}@example.com")
    cart = ready_cart(variants={catalog["mug"]: 1}, user=ada, email=ada.email)

    place, close = run_concurrently(
        lambda: order_services.place_order(cart=Cart.objects.get(pk=cart.pk), user=ada),
        lambda: services.close_account(user=ada))

    crashes = [o.error for o in (place, close)
               if o.error is not None and not isinstance(o.error, ShopError)]
    assert not crashes, crashes
    assert place.ok != close.ok, (place.error, close.error)
    if place.ok:
        order = Order.objects.get()
        assert order.user_id == ada.pk and order.email == ada.email
    else:
        assert not Order.objects.exists()
        ada.refresh_from_db()
        assert not ada.is_active
