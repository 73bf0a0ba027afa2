"""Cart, checkout and payment API for headless front ends.

A cart is named by its token (an unguessable UUID returned when it is created); a cart
that belongs to a customer answers only to that customer. Totals are always computed on
the server: prices or totals in a request body are ignored. Money is a decimal string
with a currency, never a float. Every refusal is a 4xx with ``{"detail", "code"}`` (and
``errors`` per field for addresses); nothing is written.
"""

from __future__ import annotations

from django.conf import settings
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from kernel.bounds import BIG_INTEGER_MAX
from kernel.errors import NotFound, ShopError
from marketing import consent
from orders import services as order_services
from orders.models import Cart, Order
from orders.selectors import CheckoutView, build_checkout
from orders.services.cart import add_available_to_cart
from payments import services as payment_services
from payments.exceptions import PaymentDeclined
from payments.models import Payment
from shop.web.client_ip import client_ip
from shop.web.rate_limits import rate_throttle

from .orders import OrderSerializer, order_data, order_for_request
from .output import represent

TAGS = ["checkout"]


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField(help_text="What went wrong, in words a shopper can read.")
    code = serializers.CharField(help_text="A stable machine-readable code.")
    errors = serializers.DictField(child=serializers.ListField(child=serializers.CharField()),
                                   required=False, help_text="Per-field messages (addresses).")


def errors(*codes: int) -> dict:
    descriptions = {400: "Invalid input", 402: "Payment declined", 403: "Not allowed",
                    404: "Not found", 409: "Conflict (out of stock, already paid, wrong state)",
                    503: "Payment service unavailable"}
    return {code: OpenApiResponse(ErrorSerializer, description=descriptions[code])
            for code in codes}


# --- Output shapes --------------------------------------------------------------------------

class MoneyFields(serializers.Serializer):
    currency = serializers.CharField()


class CartLineOut(serializers.Serializer):
    variant_id = serializers.IntegerField()
    sku = serializers.CharField()
    product = serializers.CharField()
    variant = serializers.CharField()
    unit_price = serializers.DecimalField(max_digits=12, decimal_places=2)
    quantity = serializers.IntegerField()
    line_total = serializers.DecimalField(max_digits=12, decimal_places=2)
    available = serializers.IntegerField()
    problem = serializers.CharField(help_text="Why the line can't be bought as it is, or ''.")


class ShippingOptionOut(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    kind = serializers.CharField()
    price = serializers.DecimalField(max_digits=12, decimal_places=2)
    delivery_earliest = serializers.DateField()
    delivery_latest = serializers.DateField()


class TotalsOut(serializers.Serializer):
    subtotal = serializers.DecimalField(max_digits=12, decimal_places=2)
    discount = serializers.DecimalField(max_digits=12, decimal_places=2)
    shipping = serializers.DecimalField(max_digits=12, decimal_places=2)
    tax = serializers.DecimalField(max_digits=12, decimal_places=2)
    total = serializers.DecimalField(max_digits=12, decimal_places=2)
    prices_include_tax = serializers.BooleanField()


class AddressFields(serializers.Serializer):
    first_name = serializers.CharField(max_length=100)
    last_name = serializers.CharField(max_length=100)
    company = serializers.CharField(max_length=120, required=False, allow_blank=True)
    line1 = serializers.CharField(max_length=200)
    line2 = serializers.CharField(max_length=200, required=False, allow_blank=True)
    city = serializers.CharField(max_length=100)
    region = serializers.CharField(max_length=100, required=False, allow_blank=True)
    postal_code = serializers.CharField(max_length=20, required=False, allow_blank=True)
    country = serializers.CharField(max_length=2, help_text="ISO 3166-1 alpha-2 code.")
    phone = serializers.CharField(max_length=30, required=False, allow_blank=True)


class CartOut(MoneyFields):
    token = serializers.UUIDField()
    email = serializers.CharField()
    lines = CartLineOut(many=True)
    quantity = serializers.IntegerField()
    shipping_address = AddressFields(allow_null=True)
    billing_same_as_shipping = serializers.BooleanField()
    billing_address = AddressFields(allow_null=True)
    shipping_options = ShippingOptionOut(many=True)
    shipping_method_id = serializers.IntegerField(allow_null=True)
    voucher = serializers.CharField(allow_null=True)
    voucher_problem = serializers.CharField()
    totals = TotalsOut(allow_null=True)
    missing_steps = serializers.ListField(child=serializers.CharField())


def cart_data(view: CheckoutView) -> dict:
    cart = view.cart
    totals = view.totals
    return {
        "token": cart.token, "currency": cart.currency, "email": cart.email,
        "lines": [{
            "variant_id": item.variant.pk, "sku": item.variant.sku,
            "product": item.product.title, "variant": item.variant.title,
            "unit_price": item.variant.price, "quantity": item.quantity,
            "line_total": item.line_total.amount, "available": item.available,
            "problem": item.problem,
        } for item in view.items],
        "quantity": view.quantity,
        "shipping_address": cart.shipping_address.as_dict() if cart.shipping_address else None,
        "billing_same_as_shipping": cart.billing_same_as_shipping,
        "billing_address": cart.billing_address.as_dict() if cart.billing_address else None,
        "shipping_options": [{
            "id": option.pk, "name": option.method.name, "kind": option.method.kind,
            "price": option.price, "delivery_earliest": option.delivery_earliest,
            "delivery_latest": option.delivery_latest,
        } for option in view.shipping_options],
        "shipping_method_id": view.shipping.pk if view.shipping else None,
        "voucher": cart.voucher.code if cart.voucher_id else None,
        "voucher_problem": view.voucher_problem,
        "totals": {
            "subtotal": totals.subtotal, "discount": totals.discount,
            "shipping": totals.shipping, "tax": totals.tax, "total": totals.total,
            "prices_include_tax": totals.prices_include_tax,
        } if totals else None,
        "missing_steps": view.missing_steps(),
    }


def cart_for_request(request: Request, token) -> Cart:
    """The open cart with this token; a customer's cart answers only to that customer."""
    cart = Cart.objects.select_related("shipping_address", "billing_address", "voucher").filter(
        token=token).first()
    if cart is None or (cart.user_id and cart.user_id != getattr(request.user, "pk", None)):
        raise NotFound("No such cart.")
    return cart


def cart_key(request: Request, token) -> order_services.CartKey:
    """The cart a request names, for the service to find and lock in one statement, the
    owner check included (a customer's cart answers only to that customer)."""
    return order_services.CartKey(token=token, user_id=getattr(request.user, "pk", None))


def cart_response(cart: Cart, status_code: int = 200, *, new: bool = False) -> Response:
    """The cart as it now is, from the cart object the view already holds (the one the
    service returned, with its addresses and voucher loaded): no second read of the cart,
    and none of lines or stock when the service already read them under the cart's lock
    (``cart.checkout_view``) or the cart was just created (``new``: it has none)."""
    reuse = CheckoutView(cart=cart, items=[]) if new else getattr(cart, "checkout_view", None)
    view = build_checkout(cart, images=False, reuse=reuse)
    return Response(represent(CartOut, cart_data(view)), status=status_code)


# --- Cart -----------------------------------------------------------------------------------

class CartCreateApi(APIView):
    @extend_schema(tags=TAGS, request=None, responses={201: CartOut},
                   summary="Create a cart",
                   description="Starts an empty cart and returns its token. For a logged-in "
                               "customer, returns their open cart instead.")
    def post(self, request: Request) -> Response:
        cart = order_services.get_or_create_cart(user=request.user)
        # A guest always gets a new cart (a customer may get their open one back).
        return cart_response(cart, status.HTTP_201_CREATED,
                             new=not request.user.is_authenticated)


class CartDetailApi(APIView):
    @extend_schema(tags=TAGS, responses={200: CartOut, **errors(404)}, summary="Read a cart",
                   description="Lines with availability, the shipping methods offered for the "
                               "address, totals with tax, and the checkout steps still missing.")
    def get(self, request: Request, token) -> Response:
        return cart_response(cart_for_request(request, token))


class LineIn(serializers.Serializer):
    variant_id = serializers.JSONField(help_text="The variant's id.")
    quantity = serializers.JSONField(help_text="A whole number from 1 to the line limit.")


class QuantityIn(serializers.Serializer):
    quantity = serializers.JSONField(help_text="A whole number; 0 removes the line.")


class AddedOut(serializers.Serializer):
    variant_id = serializers.IntegerField()
    requested = serializers.IntegerField(help_text="The quantity asked for.")
    added = serializers.IntegerField(help_text="The quantity added: fewer than requested when "
                                               "only that many more were in stock.")
    message = serializers.CharField(help_text="What was added, for the shopper.")


class CartAddOut(CartOut):
    added = AddedOut()


class CartLinesApi(APIView):
    @extend_schema(tags=TAGS, request=LineIn, responses={201: CartAddOut,
                                                         **errors(400, 404, 409)},
                   summary="Add a variant to the cart",
                   description="Adds what is in stock: asking for more than is available adds "
                               "the units that are (``added`` < ``requested``, with a message). "
                               "Refused with 400 for a bad quantity or an unknown, inactive or "
                               "unpublished variant, and with 409 when not one more unit is in "
                               "stock.")
    def post(self, request: Request, token) -> Response:
        data = _body(request)
        addition = add_available_to_cart(cart=cart_key(request, token),
                                         variant_id=data.get("variant_id"),
                                         quantity=data.get("quantity", 1))
        response = cart_response(addition.cart, status.HTTP_201_CREATED)
        response.data["added"] = {"variant_id": addition.line.variant_id,
                                  "requested": addition.requested, "added": addition.added,
                                  "message": addition.message}
        return response


class CartLineApi(APIView):
    @extend_schema(tags=TAGS, request=QuantityIn, responses={200: CartOut,
                                                             **errors(400, 404, 409)},
                   summary="Change a line's quantity (0 removes it)")
    def patch(self, request: Request, token, variant_id: int) -> Response:
        cart = cart_for_request(request, token)
        order_services.set_cart_quantity(cart=cart, variant_id=variant_id,
                                         quantity=_body(request).get("quantity"))
        return cart_response(cart)

    @extend_schema(tags=TAGS, responses={200: CartOut, **errors(400, 404)},
                   summary="Remove a line")
    def delete(self, request: Request, token, variant_id: int) -> Response:
        cart = cart_for_request(request, token)
        order_services.remove_from_cart(cart=cart, variant_id=variant_id)
        return cart_response(cart)


def _body(request: Request) -> dict:
    data = request.data
    if not hasattr(data, "get"):
        from kernel.errors import ShopError

        raise ShopError("Send a JSON object.", code="invalid_body")
    return data


# --- Checkout steps -------------------------------------------------------------------------

class EmailIn(serializers.Serializer):
    email = serializers.CharField()
    marketing_consent = serializers.BooleanField(
        required=False, default=False,
        help_text="The shopper ticked a box (never pre-ticked) agreeing to marketing email. "
                  "True records the consent with the checkout's wording and source 'api'; "
                  "false or absent changes nothing (an earlier consent stands).")


class BillingIn(serializers.Serializer):
    same_as_shipping = serializers.BooleanField()
    address = AddressFields(required=False)


class ShippingMethodIn(serializers.Serializer):
    shipping_method_id = serializers.IntegerField(min_value=1, max_value=BIG_INTEGER_MAX)


class VoucherIn(serializers.Serializer):
    code = serializers.CharField()


class CartEmailApi(APIView):
    @extend_schema(tags=TAGS, request=EmailIn, responses={200: CartOut, **errors(400, 404)},
                   summary="Set the contact email")
    def put(self, request: Request, token) -> Response:
        body = _body(request)
        marketing_consent = body.get("marketing_consent", False)
        if not isinstance(marketing_consent, bool):
            raise ShopError("marketing_consent must be true or false.", code="invalid_body")
        cart = order_services.set_checkout_email(cart=cart_key(request, token),
                                                 email=body.get("email"))
        if marketing_consent:
            consent.set_consent(email=cart.email, user=request.user, granted=True,
                                wording=consent.CHECKOUT_WORDING,
                                source=consent.ConsentRecord.Source.API)
        return cart_response(cart)


class CartShippingAddressApi(APIView):
    @extend_schema(tags=TAGS, request=AddressFields, responses={200: CartOut,
                                                                **errors(400, 404)},
                   summary="Set the shipping address",
                   description="Validated per field (required fields, country, postal code "
                               "format for the country); errors come back in `errors`.")
    def put(self, request: Request, token) -> Response:
        cart = order_services.set_shipping_address(cart=cart_key(request, token),
                                                   address=_body(request))
        return cart_response(cart)


class CartBillingAddressApi(APIView):
    @extend_schema(tags=TAGS, request=BillingIn, responses={200: CartOut, **errors(400, 404)},
                   summary="Set the billing address (or the same as shipping)")
    def put(self, request: Request, token) -> Response:
        data = _body(request)
        same = data.get("same_as_shipping", True) in (True, "true", "1", 1)
        cart = order_services.set_billing_address(
            cart=cart_key(request, token), same_as_shipping=same,
            address=None if same else data.get("address") or {})
        return cart_response(cart)


class CartShippingMethodApi(APIView):
    @extend_schema(tags=TAGS, request=ShippingMethodIn, responses={200: CartOut,
                                                                   **errors(400, 404)},
                   summary="Choose a shipping method",
                   description="Only a method listed in the cart's `shipping_options`.")
    def put(self, request: Request, token) -> Response:
        cart = order_services.set_shipping_method(
            cart=cart_key(request, token), method_id=_body(request).get("shipping_method_id"))
        return cart_response(cart)


class CartVoucherApi(APIView):
    throttle_classes = [rate_throttle("voucher", methods=("PUT",))]

    @extend_schema(tags=TAGS, request=VoucherIn, responses={200: CartOut, **errors(400, 404)},
                   summary="Apply a voucher code")
    def put(self, request: Request, token) -> Response:
        cart = cart_for_request(request, token)
        order_services.apply_voucher(cart=cart, code=_body(request).get("code"))
        return cart_response(cart_for_request(request, token))

    @extend_schema(tags=TAGS, request=None, responses={200: CartOut, **errors(404)},
                   summary="Remove the voucher")
    def delete(self, request: Request, token) -> Response:
        cart = order_services.remove_voucher(cart=cart_key(request, token))
        return cart_response(cart)


class CartOrderApi(APIView):
    throttle_classes = [rate_throttle("checkout", methods=("POST",))]

    @extend_schema(tags=TAGS, request=None,
                   responses={201: OrderSerializer, 200: OrderSerializer,
                              **errors(400, 404, 409)},
                   summary="Place the order",
                   description="Allocates stock and writes the order in one transaction, with "
                               "totals computed here. Placing the same cart again returns the "
                               "same order (200). 409 `out_of_stock` when stock ran out.")
    def post(self, request: Request, token) -> Response:
        user_id = getattr(request.user, "pk", None)
        try:
            order = order_services.place_order(cart=cart_key(request, token), user=request.user,
                                               customer_ip=client_ip(request))
        except NotFound:
            # No cart (or not this shopper's): the order this checkout became, if any.
            order = Order.objects.filter(checkout_token=token).first()
            if order is None or (order.user_id and order.user_id != user_id):
                raise
            return Response(order_data(order), status=status.HTTP_200_OK)
        lines = getattr(order, "placed_lines", None)
        if lines is None:  # placed before (a second click, another tab): the same order, 200
            if order.user_id and order.user_id != user_id:
                raise NotFound("No such cart.")
            return Response(order_data(order), status=status.HTTP_200_OK)
        return Response(order_data(order, lines=lines), status=status.HTTP_201_CREATED)


# --- Payments -------------------------------------------------------------------------------

class CardIn(serializers.Serializer):
    number = serializers.CharField(max_length=23)
    exp_month = serializers.IntegerField(min_value=1, max_value=12)
    exp_year = serializers.IntegerField(min_value=0, max_value=9999)
    cvc = serializers.CharField(max_length=4)


class PaymentIn(serializers.Serializer):
    card = CardIn(required=False, help_text="Offline test gateway only. Never stored.")


class PaymentOut(serializers.Serializer):
    token = serializers.UUIDField(allow_null=True,
                                  help_text="Null when the order had nothing to pay.")
    gateway = serializers.CharField()
    state = serializers.CharField()
    amount = serializers.DecimalField(max_digits=12, decimal_places=2)
    currency = serializers.CharField()
    card_brand = serializers.CharField()
    card_last4 = serializers.CharField()
    error = serializers.CharField()
    client_secret = serializers.CharField(
        help_text="Stripe only: confirm it in the browser with Stripe.js.")
    order_payment_status = serializers.CharField()


class AuthenticateIn(serializers.Serializer):
    authenticated = serializers.BooleanField()


def payment_data_out(payment: Payment) -> dict:
    """``payment.order`` is the order as the payment services last wrote it (they keep
    its payment status in step), so it is not read again."""
    return {"token": payment.token, "gateway": payment.gateway, "state": payment.state,
            "amount": payment.amount, "currency": payment.currency,
            "card_brand": payment.card_brand, "card_last4": payment.card_last4,
            "error": payment.error, "client_secret": payment.client_secret,
            "order_payment_status": payment.order.payment_status}


def nothing_to_pay_out(order: Order) -> dict:
    """A zero-total order is paid without a payment: no token, no gateway, no card."""
    return {"token": None, "gateway": "", "state": "not_required", "amount": order.total,
            "currency": order.currency, "card_brand": "", "card_last4": "", "error": "",
            "client_secret": "", "order_payment_status": order.payment_status}


class OrderPaymentApi(APIView):
    @extend_schema(tags=TAGS, request=PaymentIn,
                   responses={200: PaymentOut, 201: PaymentOut, 202: PaymentOut,
                              **errors(400, 402, 404, 409, 503)},
                   summary="Pay an order",
                   description="The order token is returned only to whoever placed the order; "
                               "a customer's order can be paid only by that customer. With the "
                               "offline test gateway send `card`: 201 when paid, 202 when the "
                               "bank asks for authentication (then call `authenticate`), 402 "
                               "with the bank's reason when declined. With Stripe the answer "
                               "carries a `client_secret` for Stripe.js. An order whose total "
                               "is zero is paid as it is placed, with no gateway: paying it "
                               "answers 200 with `state` `not_required` and no card needed.")
    def post(self, request: Request, order_token) -> Response:
        order = order_for_request(request, order_token, allow_guest_token=True, lines=False)
        if order.total == 0:
            order = order_services.settle_zero_total_order(order_id=order.pk)
            return Response(represent(PaymentOut, nothing_to_pay_out(order)))
        data = _body(request)
        card = data.get("card") if settings.PAYMENT_GATEWAY == "offline" else None
        if settings.PAYMENT_GATEWAY == "offline":
            serializer = CardIn(data=card if isinstance(card, dict) else {})
            serializer.is_valid(raise_exception=True)
            card = dict(serializer.validated_data)
        try:
            payment = payment_services.start_payment(order=order, payment_data=card or {})
        except PaymentDeclined:
            raise
        code = status.HTTP_202_ACCEPTED if payment.state in Payment.LIVE_STATES \
            else status.HTTP_201_CREATED
        return Response(represent(PaymentOut, payment_data_out(payment)), status=code)


class PaymentAuthenticateApi(APIView):
    @extend_schema(tags=TAGS, request=AuthenticateIn,
                   responses={200: PaymentOut, **errors(400, 402, 404)},
                   summary="Finish the bank's authentication step (offline test gateway)")
    def post(self, request: Request, order_token, payment_token) -> Response:
        order = order_for_request(request, order_token, allow_guest_token=True)
        payment = order.payments.filter(token=payment_token).first()
        if payment is None:
            raise NotFound("No such payment.")
        serializer = AuthenticateIn(data=_body(request))
        serializer.is_valid(raise_exception=True)
        payment = payment_services.confirm_authentication(
            payment=payment, authenticated=serializer.validated_data["authenticated"])
        return Response(represent(PaymentOut, payment_data_out(payment)))
