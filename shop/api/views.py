"""Catalog API views: GET only, one view per operation, a fixed number of queries each.

Catalog cannot import inventory (the layers run the other way), so these views live in
shop and compose ``catalog.selectors`` with availability from ``inventory.selectors``
through ``shop.storefront.selectors``, as the storefront pages do.
"""

from __future__ import annotations

from django.db.models import OuterRef, QuerySet, Subquery
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework.exceptions import NotFound
from rest_framework.generics import ListAPIView, RetrieveAPIView
from rest_framework.pagination import PageNumberPagination
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from catalog import selectors as catalog_selectors
from catalog.models import Category, Product, Variant
from shop.storefront import selectors as shop_selectors

from .serializers import (
    CategorySerializer,
    ProductCardSerializer,
    ProductDetailSerializer,
    ProductFilterSerializer,
    SearchQuerySerializer,
)

TAGS = ["catalog"]

FILTERS_HELP = (
    "Filter with `price_min`, `price_max`, `in_stock` and `sort`, and by option values "
    "with `opt.<Name>=<value>` (for example `opt.Size=L&opt.Color=Blue`; repeat a "
    "parameter for several values of one option). Option filters match products that "
    "have one active variant with all the chosen values. An unknown option name or a "
    "bad value is a 400 naming the parameter."
)

NOT_FOUND = OpenApiResponse(
    response={"type": "object", "properties": {"detail": {"type": "string"}},
              "required": ["detail"]},
    description="No such category or product (or it is not published).",
    examples=[OpenApiExample("Not found", value={"detail": "No such product."})],
)
BAD_QUERY = OpenApiResponse(
    response={"type": "object",
              "additionalProperties": {"type": "array", "items": {"type": "string"}}},
    description="A query parameter is invalid; each key names the parameter.",
    examples=[OpenApiExample("Bad price", value={"price_min": ["A valid number is required."]})],
)


class PublicReadOnly:
    """The catalog is public: no login, no session, GET only (the views define no writes)."""

    authentication_classes: list = []
    permission_classes = [AllowAny]


class ProductPages:
    """List views of products: the page's ``in_stock`` flags come in one query."""

    def paginate_queryset(self, queryset):
        page = super().paginate_queryset(queryset)
        return None if page is None else shop_selectors.mark_in_stock(page)


class CatalogPagination(PageNumberPagination):
    """Pages of ``PAGE_SIZE`` products; a client may ask for up to 100 with ``page_size``."""

    page_size_query_param = "page_size"
    max_page_size = 100


def product_cards() -> QuerySet[Product]:
    """Storefront products with category and currency joined in (no query per product)."""
    cheapest_currency = (
        Variant.objects.filter(product=OuterRef("pk"), is_active=True)
        .order_by("price")
        .values("currency")[:1]
    )
    return (
        shop_selectors.storefront_products()
        .select_related("category")
        .annotate(currency=Subquery(cheapest_currency))
    )


def filtered_products(request: Request, products: QuerySet[Product]) -> QuerySet[Product]:
    """``products`` narrowed and sorted by the query's filters; a bad value raises a 400.

    Option names are checked against the options ``products`` offer, which costs one
    query, run only when an option filter is given.
    """
    option_names: list[str] = []
    if ProductFilterSerializer.asks_for_options(request.query_params):
        option_names = [facet.name for facet in catalog_selectors.option_facets(products)]
    serializer = ProductFilterSerializer.for_query(request.query_params,
                                                   option_names=option_names)
    serializer.is_valid(raise_exception=True)
    filters = serializer.filters()
    listing = catalog_selectors.filter_products(products, filters)
    if filters.in_stock_only:
        listing = shop_selectors.only_in_stock(listing)
    return listing


def tree_order(tree: catalog_selectors.CategoryTree) -> list[Category]:
    """Categories depth first: each parent followed by its children in their set order."""
    ordered: list[Category] = []
    pending = list(reversed(tree.roots))
    while pending:
        category = pending.pop()
        ordered.append(category)
        pending.extend(reversed(tree.children_of(category)))
    return ordered


class CategoryListApi(PublicReadOnly, APIView):
    @extend_schema(
        tags=TAGS,
        summary="The category tree",
        description="Every active category whose ancestors are all active, depth first "
                    "(each parent before its children), with breadcrumbs and child ids.",
        responses={200: CategorySerializer(many=True)},
    )
    def get(self, request: Request) -> Response:
        tree = catalog_selectors.category_tree()
        serializer = CategorySerializer(
            tree_order(tree), many=True, context={"request": request, "category_tree": tree}
        )
        return Response(serializer.data)


class ProductListApi(PublicReadOnly, ProductPages, ListAPIView):
    serializer_class = ProductCardSerializer
    pagination_class = CatalogPagination

    def get_queryset(self) -> QuerySet[Product]:
        return filtered_products(self.request, product_cards())

    @extend_schema(
        tags=TAGS,
        summary="Published products",
        description=f"Products a shopper can see, a page at a time. {FILTERS_HELP}",
        parameters=[ProductFilterSerializer],
        responses={200: ProductCardSerializer(many=True), 400: BAD_QUERY, 404: NOT_FOUND},
    )
    def get(self, request: Request, *args, **kwargs) -> Response:
        return super().get(request, *args, **kwargs)


class CategoryProductListApi(PublicReadOnly, ProductPages, ListAPIView):
    serializer_class = ProductCardSerializer
    pagination_class = CatalogPagination

    def get_queryset(self) -> QuerySet[Product]:
        tree = catalog_selectors.category_tree()
        category = tree.by_slug.get(self.kwargs["slug"])
        if category is None:
            raise NotFound("No such category.")
        products = product_cards().filter(category_id__in=tree.subtree_ids(category))
        return filtered_products(self.request, products)

    @extend_schema(
        tags=TAGS,
        summary="Products in a category",
        description="Published products in the category and all its active subcategories. "
                    f"{FILTERS_HELP}",
        parameters=[ProductFilterSerializer],
        responses={200: ProductCardSerializer(many=True), 400: BAD_QUERY, 404: NOT_FOUND},
    )
    def get(self, request: Request, *args, **kwargs) -> Response:
        return super().get(request, *args, **kwargs)


class ProductDetailApi(PublicReadOnly, RetrieveAPIView):
    serializer_class = ProductDetailSerializer

    def get_object(self) -> Product:
        product = shop_selectors.product_page(self.kwargs["slug"])
        if product is None or not product.active_variants:
            raise NotFound("No such product.")
        return product

    def get_serializer_context(self) -> dict:
        return {**super().get_serializer_context(),
                "category_tree": catalog_selectors.category_tree()}

    @extend_schema(
        tags=TAGS,
        summary="One product",
        description="A published product with its active variants (prices, availability), "
                    "options, images, breadcrumbs and SEO fields.",
        responses={200: ProductDetailSerializer, 404: NOT_FOUND},
    )
    def get(self, request: Request, *args, **kwargs) -> Response:
        return super().get(request, *args, **kwargs)


class SearchApi(PublicReadOnly, ProductPages, ListAPIView):
    serializer_class = ProductCardSerializer
    pagination_class = CatalogPagination

    def get_queryset(self) -> QuerySet[Product]:
        query = SearchQuerySerializer(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        return catalog_selectors.search_products(product_cards(), query.validated_data["q"])

    @extend_schema(
        tags=TAGS,
        summary="Search published products",
        description="Products matching every word of `q`, best match first. On PostgreSQL "
                    "words also match as prefixes ('lant' finds 'lantern').",
        parameters=[SearchQuerySerializer],
        responses={200: ProductCardSerializer(many=True), 400: BAD_QUERY, 404: NOT_FOUND},
    )
    def get(self, request: Request, *args, **kwargs) -> Response:
        return super().get(request, *args, **kwargs)
