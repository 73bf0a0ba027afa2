"""A customer's own orders. Another shopper's order is a 404, the same answer as an order
that doesn't exist."""

from __future__ import annotations

from django.db import router
from django.db.models import Prefetch, prefetch_related_objects
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
)
from rest_framework import serializers
from rest_framework.pagination import PageNumberPagination
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from kernel.errors import NotFound
from kernel.prepared import NO_UUID, PreparedRead
from orders.links import order_token_from_signature
from orders.models import Order, OrderLine
from orders.shopper import shopper_status
from payments.selectors import order_balance
from shop.web.rate_limits import rate_throttle

from .output import represent

TAGS = ["orders"]


class OrderLineSerializer(serializers.Serializer):
    sku = serializers.CharField()
    product = serializers.CharField(source="product_name")
    variant = serializers.CharField(source="variant_name")
    quantity = serializers.IntegerField()
    unit_price = serializers.DecimalField(max_digits=12, decimal_places=2)
    discount = serializers.DecimalField(source="discount_amount", max_digits=12,
                                        decimal_places=2)
    tax = serializers.DecimalField(source="tax_amount", max_digits=12, decimal_places=2)
    total = serializers.DecimalField(max_digits=12, decimal_places=2)


class BalanceLineSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(
        choices=["charged", "authorized", "captured", "refunded"],
        help_text="The figure this line adds to.")
    amount = serializers.DecimalField(max_digits=12, decimal_places=2)
    text = serializers.CharField(source="shopper_text",
                                 help_text="What happened, in the words the order page uses "
                                           "(\"Paid on 07 Dec 2026 with Visa •••• 4242\", "
                                           "\"Refunded: order canceled\").")
    at = serializers.DateTimeField(allow_null=True)


class BalanceSerializer(serializers.Serializer):
    """The order page's "Payments and refunds" section: every cent with its cause."""

    currency = serializers.CharField()
    charged = serializers.DecimalField(max_digits=12, decimal_places=2,
                                       help_text="The order's total.")
    authorized = serializers.DecimalField(max_digits=12, decimal_places=2,
                                          help_text="Held on the card, not charged yet.")
    captured = serializers.DecimalField(max_digits=12, decimal_places=2)
    refunded = serializers.DecimalField(max_digits=12, decimal_places=2)
    paid = serializers.DecimalField(max_digits=12, decimal_places=2,
                                    help_text="Captured less refunded: what the shopper paid.")
    outstanding = serializers.DecimalField(max_digits=12, decimal_places=2,
                                           help_text="Still to pay.")
    lines = BalanceLineSerializer(many=True)


class OrderSerializer(serializers.Serializer):
    number = serializers.CharField()
    token = serializers.UUIDField()
    email = serializers.CharField()
    shopper_status = serializers.SerializerMethodField(
        help_text="Where the order is, in the order page's plain words: Awaiting payment, "
                  "Payment overdue, Confirmed, Partially shipped, Shipped, Delivered, "
                  "Partially returned, Returned, Refunded, Canceled, Closed.")
    status = serializers.CharField()
    payment_status = serializers.CharField()
    fulfillment_status = serializers.CharField()
    currency = serializers.CharField()
    prices_include_tax = serializers.BooleanField()
    subtotal = serializers.DecimalField(max_digits=12, decimal_places=2)
    discount = serializers.DecimalField(source="discount_amount", max_digits=12,
                                        decimal_places=2)
    shipping = serializers.DecimalField(source="shipping_amount", max_digits=12,
                                        decimal_places=2)
    tax = serializers.DecimalField(source="tax_amount", max_digits=12, decimal_places=2)
    total = serializers.DecimalField(max_digits=12, decimal_places=2)
    shipping_method = serializers.CharField(source="shipping_method_name")
    delivery_earliest = serializers.DateField(allow_null=True)
    delivery_latest = serializers.DateField(allow_null=True)
    voucher_code = serializers.CharField()
    placed_at = serializers.DateTimeField()
    payment_due_by = serializers.DateTimeField(allow_null=True)
    lines = OrderLineSerializer(many=True)

    def get_shopper_status(self, order: Order) -> str:
        return shopper_status(order)


class OrderDetailSerializer(OrderSerializer):
    """One order, as its page shows it: the list's fields and the balance."""

    balance = serializers.SerializerMethodField()

    @extend_schema_field(BalanceSerializer)
    def get_balance(self, order: Order) -> dict:
        return BalanceSerializer(order_balance(order)).data


def _lines_in_order() -> Prefetch:
    return Prefetch("lines", queryset=OrderLine.objects.order_by("pk"))


def orders_with_lines():
    return Order.objects.prefetch_related(_lines_in_order())


def order_data(order: Order, *, lines: list[OrderLine] | None = None) -> dict:
    """The order read again with its lines; with ``lines`` (the order just written with
    them, in order), from memory."""
    if lines is None:
        order = orders_with_lines().get(pk=order.pk)
    else:
        order._prefetched_objects_cache = {"lines": lines}
    return represent(OrderSerializer, order)


# Paying and following an order read it by its token: the read is compiled once per process.
_ORDER_BY_TOKEN = PreparedRead(lambda token: Order.objects.filter(token=token)[:1],
                               sentinel=NO_UUID)


def order_for_request(request: Request, token, *, allow_guest_token: bool = False,
                      signature: str = "", lines: bool = True) -> Order:
    """The order if this request may see it: its customer; for a guest order, the signed
    link's signature, or (to pay it) the order token that only its buyer was given.
    ``lines``: read its lines too (one more query)."""
    try:
        order = _ORDER_BY_TOKEN.first(token, using=router.db_for_read(Order))
    except ValueError:  # not a token
        order = None
    if order is None:
        raise NotFound("No such order.")
    if lines:
        prefetch_related_objects([order], _lines_in_order())
    user_id = getattr(request.user, "pk", None)
    if order.user_id:
        if order.user_id == user_id:
            return order
        raise NotFound("No such order.")
    if allow_guest_token:
        return order
    if signature and order_token_from_signature(signature) == order.token:
        return order
    raise NotFound("No such order.")


class OrderPagination(PageNumberPagination):
    page_size = 20


class OrderListApi(APIView):
    permission_classes = [IsAuthenticated]
    pagination_class = OrderPagination  # so the schema describes the paginated answer

    @extend_schema(tags=TAGS, responses={200: OrderSerializer(many=True),
                                         403: OpenApiResponse(description="Not logged in"),
                                         404: OpenApiResponse(description="No such page")},
                   summary="The logged-in customer's orders, newest first")
    def get(self, request: Request) -> Response:
        paginator = self.pagination_class()
        orders = orders_with_lines().filter(user=request.user).order_by("-placed_at", "-pk")
        page = paginator.paginate_queryset(orders, request, view=self)
        return paginator.get_paginated_response(OrderSerializer(page, many=True).data)


class OrderDetailApi(APIView):
    throttle_classes = [rate_throttle("order_lookup", methods=("GET",))]

    @extend_schema(
        tags=TAGS, responses={200: OrderDetailSerializer, 404: OpenApiResponse(
            description="No such order, or not yours")},
        parameters=[OpenApiParameter("signature", OpenApiTypes.STR, required=False,
                                     description="For a guest order: the signature from the "
                                                 "signed link in the confirmation email.")],
        summary="One order",
        description="A customer's order for that customer; a guest order with the signature "
                    "from the emailed link.")
    def get(self, request: Request, token) -> Response:
        order = order_for_request(request, token,
                                  signature=request.query_params.get("signature", ""))
        return Response(OrderDetailSerializer(order).data)
