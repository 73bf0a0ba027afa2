"""Checkout steps on a cart: contact email, addresses, shipping method, voucher."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction

from .. import locks
from ..exceptions import CheckoutIncomplete, ShippingUnavailable, VoucherInvalid
from ..forms import clean_address
from ..locks import CartKey
from ..models import Address, Cart, Voucher
from ..selectors import build_checkout, voucher_problem
from .cart import _ensure_open


def clean_email(email) -> str:
    email = str(email or "").strip()
    try:
        if "\x00" in email or len(email) > 254:
            raise ValidationError("bad")
        validate_email(email)
    except ValidationError:
        raise CheckoutIncomplete("Enter a valid email address, like name@example.com.",
                                 code="email_invalid") from None
    local, _, domain = email.rpartition("@")
    return f"{local}@{domain.lower()}"


def set_checkout_email(*, cart: Cart | CartKey, email) -> Cart:
    email = clean_email(email)
    with transaction.atomic():
        cart = locks.lock_cart(cart)
        _ensure_open(cart)
        cart.email = email
        cart.save(update_fields=["email", "updated_at"])
        return cart


def _replace_address(cart: Cart, field: str, data) -> Address:
    fields = clean_address(data)
    current = getattr(cart, field)
    if current is not None and current.user_id is None and not current.saved:
        for name, value in fields.items():
            setattr(current, name, value)
        current.save()
        return current
    return Address.objects.create(**fields)


def set_shipping_address(*, cart: Cart | CartKey, address, save_to_book: bool = False) -> Cart:
    """Validate and store the shipping address (the cart keeps its own copy). A chosen
    shipping method that no longer fits the new address is cleared."""
    with transaction.atomic():
        cart = locks.lock_cart(cart)
        _ensure_open(cart)
        cart.shipping_address = _replace_address(cart, "shipping_address", address)
        cart.save(update_fields=["shipping_address", "updated_at"])
        if save_to_book and cart.user_id:
            _save_to_book(cart.user_id, cart.shipping_address)
        if cart.shipping_method_id:
            view = build_checkout(cart, images=False)
            if view.shipping is None:
                cart.shipping_method = None
                cart.save(update_fields=["shipping_method", "updated_at"])
            # Lines and stock were read under the cart's lock: callers may answer from them.
            cart.checkout_view = view
        return cart


def _save_to_book(user_id: int, address: Address) -> None:
    fields = address.as_dict()
    if not Address.objects.filter(user_id=user_id, saved=True, **fields).exists():
        Address.objects.create(user_id=user_id, saved=True, **fields)


def set_billing_address(*, cart: Cart | CartKey, same_as_shipping: bool, address=None) -> Cart:
    with transaction.atomic():
        cart = locks.lock_cart(cart)
        _ensure_open(cart)
        cart.billing_same_as_shipping = bool(same_as_shipping)
        if not same_as_shipping:
            cart.billing_address = _replace_address(cart, "billing_address", address)
        cart.save(update_fields=["billing_same_as_shipping", "billing_address", "updated_at"])
        return cart


def set_shipping_method(*, cart: Cart | CartKey, method_id) -> Cart:
    """Choose one of the methods offered for the cart and address; others are refused."""
    with transaction.atomic():
        cart = locks.lock_cart(cart)
        _ensure_open(cart)
        if cart.shipping_address_id is None:
            raise CheckoutIncomplete("Enter a shipping address first.", code="address_missing")
        view = build_checkout(cart, images=False)
        try:
            method_id = int(method_id)
        except (TypeError, ValueError, OverflowError):
            method_id = None
        if not any(option.pk == method_id for option in view.shipping_options):
            raise ShippingUnavailable("Choose one of the shipping methods offered for your "
                                      "address.")
        cart.shipping_method_id = method_id
        cart.save(update_fields=["shipping_method", "updated_at"])
        # Lines and stock were read under the cart's lock: callers may answer from them.
        cart.checkout_view = view
        return cart


def apply_voucher(*, cart: Cart | CartKey, code) -> Voucher:
    code = str(code or "").strip().upper()
    if not code or len(code) > 40 or "\x00" in code:
        raise VoucherInvalid("Enter a voucher code.")
    with transaction.atomic():
        cart = locks.lock_cart(cart)
        _ensure_open(cart)
        voucher = Voucher.objects.filter(code=code).first()
        if voucher is None:
            raise VoucherInvalid(f"The code {code} is not valid.")
        view = build_checkout(cart, images=False)
        problem = voucher_problem(voucher, subtotal=view.subtotal.amount, currency=cart.currency,
                                  email=cart.email, user_id=cart.user_id)
        if problem:
            raise VoucherInvalid(problem)
        cart.voucher = voucher
        cart.save(update_fields=["voucher", "updated_at"])
        return voucher


def remove_voucher(*, cart: Cart | CartKey) -> Cart:
    with transaction.atomic():
        cart = locks.lock_cart(cart)
        _ensure_open(cart)
        cart.voucher = None
        cart.save(update_fields=["voucher", "updated_at"])
        return cart
