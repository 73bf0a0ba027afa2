"""A voucher's per-customer limit: guests are counted by their email, logged-in customers
by their account as well, so a new contact email does not make a used code usable again."""

from decimal import Decimal

import pytest

from orders import services
from orders.exceptions import VoucherInvalid
from orders.models import Order, Voucher, VoucherUse
from orders.selectors import build_checkout
from tests.factories import ProductFactory, UserFactory, make_variant, ready_cart

pytestmark = pytest.mark.django_db


@pytest.fixture
def variant():
    return make_variant(ProductFactory(), price="12.00", stock=50)


@pytest.fixture
def once():
    return Voucher.objects.create(code="ONCE", kind="percentage", value=Decimal("10"),
                                  per_customer_limit=1)


@pytest.fixture
def customer():
    return UserFactory(email="grace@example.com")


def test_a_logged_in_customer_cannot_reuse_a_code_under_another_email(variant, once,
                                                                      customer):
    first = services.place_order(cart=ready_cart(variants={variant: 1}, user=customer,
                                                 voucher="ONCE"), user=customer)
    assert first.user == customer and first.discount_amount == Decimal("1.20")
    with pytest.raises(VoucherInvalid, match="You have already used the code ONCE"):
        ready_cart(variants={variant: 1}, user=customer, email="someone-else@example.com",
                   voucher="ONCE")
    assert VoucherUse.objects.count() == 1


def test_the_checkout_shows_the_code_as_used_once_the_customer_used_it(variant, once,
                                                                       customer):
    cart = ready_cart(variants={variant: 1}, user=customer, email="work@example.com",
                      voucher="ONCE")
    # Meanwhile the same customer orders with the code from another browser's guest cart.
    services.place_order(cart=ready_cart(variants={variant: 1}, email="home@example.com",
                                         voucher="ONCE"), user=customer)
    view = build_checkout(cart)
    assert view.voucher_problem == "You have already used the code ONCE."
    assert view.totals.discount == 0


def test_placement_counts_the_customers_uses_under_the_vouchers_lock(variant, once,
                                                                     customer):
    """Two guest carts with different emails, both with the code applied before either was
    placed, then placed by the same logged-in customer: only the first gets the discount."""
    first = ready_cart(variants={variant: 1}, email="one@example.com", voucher="ONCE")
    second = ready_cart(variants={variant: 1}, email="two@example.com", voucher="ONCE")
    services.place_order(cart=first, user=customer)
    with pytest.raises(VoucherInvalid, match="already used"):
        services.place_order(cart=second, user=customer)
    assert Order.objects.count() == 1
    assert Voucher.objects.get().used_count == 1


def test_other_customers_and_guests_may_still_use_the_code(variant, once, customer):
    services.place_order(cart=ready_cart(variants={variant: 1}, user=customer,
                                         email=customer.email, voucher="ONCE"), user=customer)
    someone = UserFactory(email="someone@example.com")
    services.place_order(cart=ready_cart(variants={variant: 1}, user=someone,
                                         email=someone.email, voucher="ONCE"), user=someone)
    services.place_order(cart=ready_cart(variants={variant: 1}, email="guest@example.com",
                                         voucher="ONCE"))
    assert Voucher.objects.get().used_count == 3


def test_a_guest_reusing_the_customers_email_is_still_refused(variant, once, customer):
    services.place_order(cart=ready_cart(variants={variant: 1}, user=customer,
                                         email=customer.email, voucher="ONCE"), user=customer)
    with pytest.raises(VoucherInvalid, match="already used"):
        ready_cart(variants={variant: 1}, email="GRACE@example.com", voucher="ONCE")


def test_a_limit_of_two_allows_two_uses_across_emails(variant, customer):
    Voucher.objects.create(code="TWICE", kind="fixed", value=Decimal("2"),
                           per_customer_limit=2)
    for email in ("a@example.com", "b@example.com"):
        services.place_order(cart=ready_cart(variants={variant: 1}, user=customer,
                                             email=email, voucher="TWICE"), user=customer)
    with pytest.raises(VoucherInvalid, match="already used"):
        ready_cart(variants={variant: 1}, user=customer, email="c@example.com",
                   voucher="TWICE")
