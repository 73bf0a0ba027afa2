from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from inventory.services import receive_stock
from orders import services
from orders.exceptions import (
    AddressInvalid,
    CartError,
    CheckoutIncomplete,
    OutOfStock,
    ShippingUnavailable,
    VoucherInvalid,
)
from orders.models import CartLine, Order, ShippingMethod, ShippingWeightTier, TaxRate, Voucher
from orders.selectors import build_checkout
from tests.factories import (
    ADDRESS,
    ProductFactory,
    UserFactory,
    WarehouseFactory,
    make_shipping,
    make_variant,
    ready_cart,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def variant():
    return make_variant(ProductFactory(title="Camp Mug"), price="12.00", stock=5,
                        weight_grams=400)


@pytest.mark.parametrize("quantity", ["abc", "-1", 0, "1.5", 10**30, None, True, "", "1e3"])
def test_bad_quantities_are_refused_and_nothing_is_added(variant, quantity):
    cart = services.get_or_create_cart()
    with pytest.raises(CartError):
        services.add_to_cart(cart=cart, variant_id=variant.pk, quantity=quantity)
    assert not CartLine.objects.exists()


def test_more_than_available_is_refused_with_the_count(variant):
    cart = services.get_or_create_cart()
    services.add_to_cart(cart=cart, variant_id=variant.pk, quantity=3)
    with pytest.raises(OutOfStock, match="Only 5 of .* left \\(you have 3 in your cart\\)"):
        services.add_to_cart(cart=cart, variant_id=variant.pk, quantity=3)
    assert CartLine.objects.get().quantity == 3


@pytest.mark.parametrize("variant_id", [999999, "abc", None, -1, 10**40])
def test_unknown_variants_are_refused(variant_id):
    cart = services.get_or_create_cart()
    with pytest.raises(CartError, match="doesn't exist"):
        services.add_to_cart(cart=cart, variant_id=variant_id, quantity=1)


def test_inactive_and_unpublished_variants_are_refused(variant):
    inactive = make_variant(variant.product, stock=5, is_active=False)
    hidden = make_variant(ProductFactory(is_published=False), stock=5)
    cart = services.get_or_create_cart()
    for bad in (inactive, hidden):
        with pytest.raises(CartError, match="no longer sold"):
            services.add_to_cart(cart=cart, variant_id=bad.pk, quantity=1)
    assert not CartLine.objects.exists()


def test_setting_quantity_zero_removes_and_lowering_is_always_allowed(variant):
    cart = services.get_or_create_cart()
    services.add_to_cart(cart=cart, variant_id=variant.pk, quantity=4)
    services.set_cart_quantity(cart=cart, variant_id=variant.pk, quantity=2)
    assert CartLine.objects.get().quantity == 2
    services.remove_from_cart(cart=cart, variant_id=variant.pk)
    assert not CartLine.objects.exists()


def test_merge_on_login_adds_quantities_capped_by_stock(variant):
    user = UserFactory()
    mine = services.get_or_create_cart(user=user)
    services.add_to_cart(cart=mine, variant_id=variant.pk, quantity=3)
    guest = services.get_or_create_cart()
    services.add_to_cart(cart=guest, variant_id=variant.pk, quantity=4)
    merged = services.merge_carts(guest_cart=guest, user=user)
    assert merged.pk == mine.pk
    assert CartLine.objects.get(cart=mine).quantity == 5
    guest.refresh_from_db()
    assert guest.status == "merged"


def test_address_validation_names_each_bad_field(variant):
    cart = services.get_or_create_cart()
    bad = {**ADDRESS, "postal_code": "ABCDE", "city": "", "country": "XX"}
    with pytest.raises(AddressInvalid) as error:
        services.set_shipping_address(cart=cart, address=bad)
    assert set(error.value.errors) >= {"city", "country"}
    with pytest.raises(AddressInvalid) as error:
        services.set_shipping_address(cart=cart, address={**ADDRESS, "postal_code": "9720"})
    assert "postal_code" in error.value.errors
    cart.refresh_from_db()
    assert cart.shipping_address_id is None


@pytest.mark.parametrize("email", ["", "not-an-email", "a@b", "x" * 300 + "@example.com",
                                   "a\x00@example.com"])
def test_bad_emails_are_refused(email):
    cart = services.get_or_create_cart()
    with pytest.raises(CheckoutIncomplete):
        services.set_checkout_email(cart=cart, email=email)


def test_only_methods_for_the_address_and_weight_are_offered(variant):
    us = make_shipping(country="US", price="5.00", free_above="50.00")
    eu = make_shipping(country="DE", name="EU tracked", kind="weight")
    ShippingWeightTier.objects.create(method=eu, up_to_grams=1000, price=Decimal("12.00"))
    cart = services.get_or_create_cart()
    services.add_to_cart(cart=cart, variant_id=variant.pk, quantity=2)  # 800 g
    cart = services.set_shipping_address(cart=cart, address=ADDRESS)
    assert [o.method for o in build_checkout(cart).shipping_options] == [us]
    with pytest.raises(ShippingUnavailable):
        services.set_shipping_method(cart=cart, method_id=eu.pk)
    cart = services.set_shipping_address(cart=cart, address={
        **ADDRESS, "country": "DE", "postal_code": "10115", "region": ""})
    options = build_checkout(cart).shipping_options
    assert [(o.method, o.price) for o in options] == [(eu, Decimal("12.00"))]
    services.add_to_cart(cart=cart, variant_id=variant.pk, quantity=1)  # 1200 g: too heavy
    assert build_checkout(cart).shipping_options == []


def test_free_above_a_subtotal(variant):
    method = make_shipping(price="5.00", free_above="30.00")
    cart = ready_cart(variants={variant: 3}, method=method)  # 36.00
    assert build_checkout(cart).totals.shipping == Decimal("0")


def test_store_pickup_only_when_that_store_has_everything(variant):
    store = WarehouseFactory(code="store", allows_store_pickup=True)
    pickup = make_shipping(name="Pickup", kind=ShippingMethod.Kind.PICKUP, price="0",
                           pickup_warehouse=store)
    cart = services.get_or_create_cart()
    services.add_to_cart(cart=cart, variant_id=variant.pk, quantity=1)
    services.set_shipping_address(cart=cart, address=ADDRESS)
    assert pickup not in [o.method for o in build_checkout(cart).shipping_options]
    receive_stock(variant=variant, warehouse=store, quantity=1)
    assert pickup in [o.method for o in build_checkout(cart).shipping_options]
    services.set_shipping_method(cart=cart, method_id=pickup.pk)
    services.set_checkout_email(cart=cart, email="p@example.com")
    order = services.place_order(cart=cart)
    assert order.pickup_warehouse == store
    assert order.lines.get().allocations.get().stock_level.warehouse == store


def test_region_tax_rate_wins_over_the_country_rate(variant, settings):
    settings.SHOP_PRICES_INCLUDE_TAX = False
    TaxRate.objects.create(country="US", region="", rate=Decimal("5"))
    TaxRate.objects.create(country="US", region="OR", rate=Decimal("0"))
    TaxRate.objects.create(country="US", region="CA", rate=Decimal("7.25"))
    cart = ready_cart(variants={variant: 1})  # Oregon
    assert build_checkout(cart).totals.tax == Decimal("0")
    cart = services.set_shipping_address(cart=cart, address={**ADDRESS, "region": "CA",
                                                             "postal_code": "94105"})
    view = build_checkout(cart)
    assert view.tax_rate == Decimal("7.25")
    assert view.totals.tax == Decimal("1.23")  # 7.25% of 12.00 + 5.00 shipping
    order = services.place_order(cart=cart)
    assert order.tax_amount == Decimal("1.23")
    assert order.total == Decimal("18.23")
    assert order.lines.get().tax_amount == Decimal("0.87")


def test_voucher_rules(variant):
    now = timezone.now()
    Voucher.objects.create(code="old", kind="percentage", value=10, ends_at=now - timedelta(days=1))
    Voucher.objects.create(code="soon", kind="percentage", value=10,
                           starts_at=now + timedelta(days=1))
    Voucher.objects.create(code="used", kind="fixed", value=5, usage_limit=1)
    Voucher.objects.filter(code="USED").update(used_count=1)
    Voucher.objects.create(code="big", kind="fixed", value=5, min_subtotal=100)
    cart = ready_cart(variants={variant: 1})
    for code, message in [("nope", "not valid"), ("old", "expired"), ("soon", "not valid yet"),
                          ("used", "fully used"), ("big", "at least")]:
        with pytest.raises(VoucherInvalid, match=message):
            services.apply_voucher(cart=cart, code=code)
    cart.refresh_from_db()
    assert cart.voucher_id is None


def test_voucher_per_customer_limit_is_checked_at_placement(variant):
    Voucher.objects.create(code="ONCE", kind="percentage", value=10, per_customer_limit=1)
    first = services.place_order(cart=ready_cart(variants={variant: 1}, voucher="once"))
    assert first.discount_amount == Decimal("1.20")
    assert Voucher.objects.get().used_count == 1
    with pytest.raises(VoucherInvalid, match="already used"):
        ready_cart(variants={variant: 1}, voucher="ONCE")
    assert Order.objects.count() == 1


def test_client_cannot_change_prices_the_order_uses_catalog_prices(variant):
    cart = ready_cart(variants={variant: 2})
    variant.price = Decimal("15.00")
    variant.save()
    order = services.place_order(cart=cart)
    assert order.lines.get().unit_price == Decimal("15.00")
    assert order.subtotal == Decimal("30.00")


def test_unpaid_orders_expire_and_release_stock(variant):
    order = services.place_order(cart=ready_cart(variants={variant: 2}))
    assert services.expired_unpaid_order_ids() == []
    Order.objects.filter(pk=order.pk).update(payment_due_by=timezone.now() - timedelta(minutes=1))
    assert services.expired_unpaid_order_ids() == [order.pk]
    assert services.cancel_expired_unpaid_order(order_id=order.pk) is True
    order.refresh_from_db()
    assert order.status == Order.Status.CANCELED
    assert variant.stock_levels.get().allocated == 0
    assert services.cancel_expired_unpaid_order(order_id=order.pk) is False
