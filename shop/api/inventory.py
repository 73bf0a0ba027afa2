"""Staff API for integrations (an ERP, a warehouse system): stock levels with incoming
units, and purchase orders (list, read, draft, send, receive). Staff only, each operation
behind the Django permission of its admin step; the writes are ``inventory.services``
calls, so their refusals come back as ``{"detail", "code"}`` 4xx answers."""

from __future__ import annotations

from django.db.models import Prefetch
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.pagination import PageNumberPagination
from rest_framework.permissions import BasePermission, IsAdminUser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from catalog.models import Variant
from inventory import selectors, services
from inventory.models import PurchaseOrder, PurchaseOrderLine, StockLevel, Supplier, Warehouse
from kernel.bounds import BIG_INTEGER_MAX, INTEGER_MAX
from kernel.errors import NotFound, ShopError

TAGS = ["inventory"]
ERROR = OpenApiResponse(
    response={"type": "object", "properties": {"detail": {"type": "string"},
                                               "code": {"type": "string"}}},
    description="Refused: the message says why (nothing was written).")
FORBIDDEN = OpenApiResponse(description="Not staff, or staff without the permission.")
NO_PAGE = OpenApiResponse(description="No such page (past the last, or not a number).")


class HasModelPermission(BasePermission):
    """The view's ``permission_for[method]`` Django permission (staff checked separately)."""

    def has_permission(self, request, view) -> bool:
        needed = view.permission_for.get(request.method)
        return needed is None or request.user.has_perm(needed)


class StaffApi(APIView):
    permission_classes = [IsAdminUser, HasModelPermission]
    permission_for: dict[str, str] = {}


class Pages(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200


# --- Stock levels ---------------------------------------------------------------------------


class StockLevelSerializer(serializers.Serializer):
    sku = serializers.CharField(source="variant.sku")
    warehouse = serializers.CharField(source="warehouse.code")
    on_hand = serializers.IntegerField()
    allocated = serializers.IntegerField()
    available = serializers.IntegerField()
    incoming = serializers.IntegerField(help_text="Units on sent purchase orders and in-transit "
                                                  "transfers to this warehouse.")
    bin_location = serializers.CharField()
    updated_at = serializers.DateTimeField()


class StockLevelQuerySerializer(serializers.Serializer):
    sku = serializers.CharField(required=False, help_text="Exact SKU.")
    warehouse = serializers.CharField(required=False, help_text="Warehouse code.")


class StockLevelListApi(StaffApi):
    pagination_class = Pages  # so the schema describes the paginated answer
    permission_for = {"GET": "inventory.view_stocklevel"}

    @extend_schema(tags=TAGS, summary="Stock levels", parameters=[StockLevelQuerySerializer],
                   description="On hand, allocated, available and incoming per variant and "
                               "warehouse, a page at a time (three queries a page).",
                   responses={200: StockLevelSerializer(many=True), 403: FORBIDDEN,
                              404: NO_PAGE})
    def get(self, request: Request) -> Response:
        query = StockLevelQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        levels = StockLevel.objects.select_related("variant", "warehouse").order_by(
            "variant__sku", "warehouse__code")
        if query.validated_data.get("sku"):
            levels = levels.filter(variant__sku=query.validated_data["sku"])
        if query.validated_data.get("warehouse"):
            levels = levels.filter(warehouse__code=query.validated_data["warehouse"])
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(levels, request, view=self)
        incoming = selectors.incoming_quantities(
            variant_ids={level.variant_id for level in page}, statuses=PurchaseOrder.OPEN)
        for level in page:
            level.incoming = incoming.get((level.variant_id, level.warehouse_id), 0)
        return paginator.get_paginated_response(StockLevelSerializer(page, many=True).data)


# --- Purchase orders ------------------------------------------------------------------------


class PurchaseOrderLineSerializer(serializers.Serializer):
    sku = serializers.CharField(source="variant.sku")
    quantity_ordered = serializers.IntegerField()
    quantity_received = serializers.IntegerField()
    unit_cost = serializers.DecimalField(max_digits=12, decimal_places=2)


class PurchaseOrderSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.CharField()
    supplier = serializers.CharField(source="supplier.name")
    warehouse = serializers.CharField(source="warehouse.code")
    status = serializers.CharField()
    currency = serializers.CharField()
    expected_on = serializers.DateField(allow_null=True)
    drafted_automatically = serializers.BooleanField()
    created_at = serializers.DateTimeField()
    sent_at = serializers.DateTimeField(allow_null=True)
    closed_at = serializers.DateTimeField(allow_null=True)
    lines = PurchaseOrderLineSerializer(many=True)


class LineInputSerializer(serializers.Serializer):
    sku = serializers.CharField()
    quantity = serializers.IntegerField(max_value=INTEGER_MAX)  # the service says why below 1
    unit_cost = serializers.DecimalField(max_digits=12, decimal_places=2, required=False,
                                         allow_null=True, help_text="Default: the supplier's "
                                                                    "price.")


class PurchaseOrderCreateSerializer(serializers.Serializer):
    supplier = serializers.IntegerField(min_value=1, max_value=BIG_INTEGER_MAX,
                                        help_text="Supplier id.")
    warehouse = serializers.CharField(help_text="Warehouse code to deliver to.")
    expected_on = serializers.DateField(required=False, allow_null=True)
    note = serializers.CharField(required=False, allow_blank=True, default="")
    lines = LineInputSerializer(many=True)


class ReceiptLineSerializer(serializers.Serializer):
    sku = serializers.CharField()
    quantity = serializers.IntegerField(max_value=INTEGER_MAX,  # below 0: the service says
                                        help_text="Units that arrived (0 or more).")


class ReceiptSerializer(serializers.Serializer):
    lines = ReceiptLineSerializer(many=True)
    allow_over_receipt = serializers.BooleanField(required=False, default=False)


def purchase_orders():
    return PurchaseOrder.objects.select_related("supplier", "warehouse").prefetch_related(
        Prefetch("lines", queryset=PurchaseOrderLine.objects.select_related("variant")
                 .order_by("pk")))


def purchase_order_or_404(pk: int) -> PurchaseOrder:
    purchase_order = purchase_orders().filter(pk=pk).first()
    if purchase_order is None:
        raise NotFound("No such purchase order.")
    return purchase_order


def variants_by_sku(skus) -> dict[str, Variant]:
    skus = list(skus)
    found = {variant.sku: variant for variant in Variant.objects.filter(sku__in=skus)}
    unknown = [sku for sku in skus if sku not in found]
    if unknown:
        raise ShopError(f"No variant has the SKU {', '.join(unknown)}.", code="unknown_sku")
    return found


class PurchaseOrderListApi(StaffApi):
    pagination_class = Pages  # so the schema describes the paginated answer
    permission_for = {"GET": "inventory.view_purchaseorder",
                      "POST": "inventory.add_purchaseorder"}

    @extend_schema(tags=TAGS, summary="Purchase orders, newest first",
                   parameters=[OpenApiParameter("status", str, enum=PurchaseOrder.Status.values,
                                                required=False)],
                   responses={200: PurchaseOrderSerializer(many=True), 403: FORBIDDEN,
                              404: NO_PAGE})
    def get(self, request: Request) -> Response:
        orders = purchase_orders().order_by("-created_at", "-pk")
        status = request.query_params.get("status")
        if status:
            if status not in PurchaseOrder.Status.values:
                raise ShopError(f"Unknown status {status!r}.", code="bad_status")
            orders = orders.filter(status=status)
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(orders, request, view=self)
        return paginator.get_paginated_response(PurchaseOrderSerializer(page, many=True).data)

    @extend_schema(tags=TAGS, summary="Draft a purchase order",
                   request=PurchaseOrderCreateSerializer,
                   responses={201: PurchaseOrderSerializer, 400: ERROR, 403: FORBIDDEN})
    def post(self, request: Request) -> Response:
        data = PurchaseOrderCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        data = data.validated_data
        supplier = Supplier.objects.filter(pk=data["supplier"]).first()
        warehouse = Warehouse.objects.filter(code=data["warehouse"]).first()
        if supplier is None or warehouse is None:
            raise ShopError("No such supplier or warehouse.", code="unknown")
        variants = variants_by_sku(line["sku"] for line in data["lines"])
        purchase_order = services.create_purchase_order(
            supplier_id=supplier.pk, warehouse_id=warehouse.pk, user=request.user,
            expected_on=data.get("expected_on"), note=data["note"],
            lines=[services.LineRequest(variant_id=variants[line["sku"]].pk,
                                        quantity=line["quantity"],
                                        unit_cost=line.get("unit_cost"))
                   for line in data["lines"]])
        return Response(PurchaseOrderSerializer(purchase_order_or_404(purchase_order.pk)).data,
                        status=201)


class PurchaseOrderDetailApi(StaffApi):
    permission_for = {"GET": "inventory.view_purchaseorder"}

    @extend_schema(tags=TAGS, summary="One purchase order",
                   responses={200: PurchaseOrderSerializer, 403: FORBIDDEN, 404: ERROR})
    def get(self, request: Request, pk: int) -> Response:
        return Response(PurchaseOrderSerializer(purchase_order_or_404(pk)).data)


class PurchaseOrderSendApi(StaffApi):
    permission_for = {"POST": "inventory.send_purchaseorder"}

    @extend_schema(tags=TAGS, summary="Send a draft to its supplier (the PDF is emailed)",
                   request=None,
                   responses={200: PurchaseOrderSerializer, 403: FORBIDDEN, 404: ERROR,
                              409: ERROR})
    def post(self, request: Request, pk: int) -> Response:
        purchase_order_or_404(pk)
        services.send_purchase_order(purchase_order_id=pk, user=request.user)
        return Response(PurchaseOrderSerializer(purchase_order_or_404(pk)).data)


class PurchaseOrderReceiptApi(StaffApi):
    permission_for = {"POST": "inventory.receive_purchaseorder"}

    @extend_schema(tags=TAGS, summary="Record goods received against a purchase order",
                   description="Each line a receipt in the stock ledger with the PO number as "
                               "reference. More than ordered is refused unless "
                               "`allow_over_receipt`; a negative quantity is refused.",
                   request=ReceiptSerializer,
                   responses={200: PurchaseOrderSerializer, 400: ERROR, 403: FORBIDDEN,
                              404: ERROR, 409: ERROR})
    def post(self, request: Request, pk: int) -> Response:
        purchase_order_or_404(pk)
        data = ReceiptSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        lines = data.validated_data["lines"]
        variants = variants_by_sku(line["sku"] for line in lines)
        quantities: dict[int, int] = {}
        for line in lines:
            variant_id = variants[line["sku"]].pk
            quantities[variant_id] = quantities.get(variant_id, 0) + line["quantity"]
        services.receive_purchase_order(
            purchase_order_id=pk, quantities=quantities, user=request.user,
            allow_over_receipt=data.validated_data["allow_over_receipt"])
        return Response(PurchaseOrderSerializer(purchase_order_or_404(pk)).data)


