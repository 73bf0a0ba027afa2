"""Shapes of the catalog API: query parameters in, products and categories out.

Output serializers only read: products arrive from the selectors already annotated
(``price_from``, ``in_stock``, ``available``) and prefetched, so serializing a page
runs no queries of its own. Money leaves as a string amount plus a currency, never
a float.
"""

from __future__ import annotations

from django.conf import settings
from django.http import QueryDict
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from catalog import selectors as catalog_selectors
from inventory.selectors import describe_availability
from kernel.money import Money
from shop.storefront.forms import MAX_PRICE, SORT_CHOICES

# The same limits the category page's form applies to option filters.
MAX_OPTION_VALUES = 20
MAX_OPTION_VALUE_LENGTH = 120
OPTION_PREFIX = "opt."


# --- Fields ---------------------------------------------------------------------------------


class MoneyAmountField(serializers.DecimalField):
    """An amount as a decimal string ("89.00"), quantized for its currency by kernel.money.

    The currency is read from ``currency_source`` on the same object; a missing one
    falls back to the shop's currency.
    """

    def __init__(self, *, currency_source: str = "currency", **kwargs):
        super().__init__(max_digits=12, decimal_places=2, coerce_to_string=True,
                         read_only=True, **kwargs)
        self.currency_source = currency_source

    def get_attribute(self, instance):
        amount = super().get_attribute(instance)
        if amount is None:
            return None
        currency = getattr(instance, self.currency_source, None) or settings.SHOP_CURRENCY
        return Money(amount, currency)

    def to_representation(self, value: Money) -> str:
        return str(value.amount)


@extend_schema_field(OpenApiTypes.URI)
class AbsoluteUrlField(serializers.CharField):
    """A URL path made absolute for the request ("" stays "": an image without a file)."""

    def to_representation(self, value) -> str:
        url = getattr(value, "url", value) if value else ""  # a FieldFile or a path
        request = self.context.get("request")
        return request.build_absolute_uri(url) if url and request is not None else str(url)


@extend_schema_field(OpenApiTypes.URI)
class ReverseUrlField(serializers.Field):
    """The absolute URL of ``view_name`` for this object, by its slug."""

    def __init__(self, view_name: str, **kwargs):
        kwargs.update(source="slug", read_only=True)
        super().__init__(**kwargs)
        self.view_name = view_name

    def to_representation(self, value) -> str:
        path = reverse(self.view_name, kwargs={"slug": value})
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request is not None else path


# --- Query parameters -----------------------------------------------------------------------


class ProductFilterSerializer(serializers.Serializer):
    # The category page's filters as query parameters. Option filters arrive as
    # ``opt.<Name>=<value>`` and are checked against ``context["option_names"]``, the
    # options the listed products offer; build with ``for_query``.

    price_min = serializers.DecimalField(
        max_digits=12, decimal_places=2, min_value=0, max_value=MAX_PRICE, required=False,
        coerce_to_string=False, help_text="Lowest 'from' price to include, e.g. 20 or 19.99.",
    )
    price_max = serializers.DecimalField(
        max_digits=12, decimal_places=2, min_value=0, max_value=MAX_PRICE, required=False,
        coerce_to_string=False, help_text="Highest 'from' price to include.",
    )
    in_stock = serializers.BooleanField(
        required=False, default=False,
        help_text="true: only products with at least one variant that can be sold now.",
    )
    sort = serializers.ChoiceField(
        choices=SORT_CHOICES, required=False, default="featured",
        help_text="Order of the results.",
    )

    @classmethod
    def for_query(cls, query_params, *, option_names: list[str]) -> ProductFilterSerializer:
        """The serializer for a request's query; blank parameters (as a form sends them)
        count as not given, the way the category page reads them."""
        given = QueryDict(mutable=True)
        for key, values in query_params.lists():
            values = [value for value in values if value.strip()]
            if values:
                given.setlist(key, values)
        return cls(data=given, context={"option_names": option_names})

    def validate(self, attrs: dict) -> dict:
        low, high = attrs.get("price_min"), attrs.get("price_max")
        if low is not None and high is not None and low > high:
            raise serializers.ValidationError(
                {"price_max": ["The maximum price must not be below the minimum."]}
            )
        attrs["options"] = self._options()
        return attrs

    def _options(self) -> dict[str, list[str]]:
        known = {name.lower(): name for name in self.context.get("option_names", ())}
        chosen: dict[str, list[str]] = {}
        errors: dict[str, list[str]] = {}
        for key in self.initial_data:
            if not key.startswith(OPTION_PREFIX):
                continue
            asked = key[len(OPTION_PREFIX):].strip()
            values = [value.strip() for value in self.initial_data.getlist(key)]
            name = known.get(asked.lower())
            if name is None:
                offered = ", ".join(sorted(known.values())) or "none"
                errors[key] = [f"No product here has the option {asked!r}. "
                               f"Options you can filter on: {offered}."]
            elif len(values) > MAX_OPTION_VALUES:
                errors[key] = [f"Choose at most {MAX_OPTION_VALUES} values of one option."]
            elif any("\x00" in value for value in values):
                errors[key] = ["Option values cannot contain null characters."]
            elif any(len(value) > MAX_OPTION_VALUE_LENGTH for value in values):
                errors[key] = [f"An option value has at most {MAX_OPTION_VALUE_LENGTH} "
                               "characters."]
            else:
                chosen.setdefault(name, []).extend(values)
        if errors:
            raise serializers.ValidationError(errors)
        return chosen

    def filters(self) -> catalog_selectors.ProductFilters:
        data = self.validated_data
        return catalog_selectors.ProductFilters(
            price_min=data.get("price_min"),
            price_max=data.get("price_max"),
            options=data["options"],
            in_stock_only=data["in_stock"],
            sort=data["sort"],
        )

    @staticmethod
    def asks_for_options(query_params) -> bool:
        """Whether any option filter was given (only then are option names looked up)."""
        return any(key.startswith(OPTION_PREFIX) for key in query_params)


class SearchQuerySerializer(serializers.Serializer):
    q = serializers.CharField(
        max_length=200, help_text="Words to find in titles, vendors, types, tags and descriptions."
    )

    def validate_q(self, value: str) -> str:
        if not catalog_selectors.search_terms(value):
            raise serializers.ValidationError("Enter at least one word or number to search for.")
        return value


# --- Output ---------------------------------------------------------------------------------


class CategoryRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    slug = serializers.SlugField()


class SeoSerializer(serializers.Serializer):
    title = serializers.CharField()
    description = serializers.CharField()


class CategorySerializer(serializers.Serializer):
    """A category of the active tree."""

    # ``context["category_tree"]`` (catalog.selectors.category_tree) supplies the relatives.

    id = serializers.IntegerField()
    name = serializers.CharField()
    slug = serializers.SlugField()
    parent_id = serializers.IntegerField(allow_null=True)
    depth = serializers.IntegerField(help_text="0 for a top-level category.")
    position = serializers.IntegerField()
    description = serializers.CharField()
    seo = serializers.SerializerMethodField()
    breadcrumbs = serializers.SerializerMethodField(
        help_text="From the top-level category down to this one, itself included."
    )
    children = serializers.SerializerMethodField(help_text="Ids of the direct subcategories.")
    products_url = ReverseUrlField("api:category-products")

    @extend_schema_field(SeoSerializer)
    def get_seo(self, category) -> dict:
        return {"title": category.seo_title or category.name,
                "description": category.seo_description}

    @extend_schema_field(CategoryRefSerializer(many=True))
    def get_breadcrumbs(self, category) -> list:
        tree = self.context["category_tree"]
        return CategoryRefSerializer(tree.breadcrumbs(category), many=True).data

    def get_children(self, category) -> list[int]:
        return [child.pk for child in self.context["category_tree"].children_of(category)]


class ImageUrlsSerializer(serializers.Serializer):
    small = AbsoluteUrlField(source="small_url", help_text="160px wide when generated.")
    medium = AbsoluteUrlField(source="medium_url", help_text="480px wide when generated.")
    large = AbsoluteUrlField(source="large_url", help_text="1024px wide when generated.")
    original = AbsoluteUrlField(source="image")


class ProductImageSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    alt_text = serializers.CharField()
    width = serializers.IntegerField(allow_null=True, help_text="Of the original, in pixels.")
    height = serializers.IntegerField(allow_null=True, help_text="Of the original, in pixels.")
    urls = ImageUrlsSerializer(source="*")


class ProductCardSerializer(serializers.Serializer):
    """A product in a listing: 'from' prices, a stock flag and its first image."""

    id = serializers.IntegerField()
    slug = serializers.SlugField()
    title = serializers.CharField()
    vendor = serializers.CharField()
    product_type = serializers.CharField()
    is_featured = serializers.BooleanField()
    category = CategoryRefSerializer()
    price_from = MoneyAmountField(help_text="Price of the cheapest active variant.")
    price_to = MoneyAmountField(help_text="Price of the dearest active variant.")
    compare_at_price = MoneyAmountField(
        source="compare_at_from", allow_null=True,
        help_text="The cheapest variant's compare-at ('was') price, if any.",
    )
    currency = serializers.SerializerMethodField()
    is_on_sale = serializers.SerializerMethodField()
    in_stock = serializers.BooleanField(help_text="Some active variant can be sold now.")
    image = serializers.SerializerMethodField()
    url = ReverseUrlField("api:product-detail")
    storefront_url = ReverseUrlField("storefront:product")

    def get_currency(self, product) -> str:
        return getattr(product, "currency", None) or settings.SHOP_CURRENCY

    def get_is_on_sale(self, product) -> bool:
        return product.compare_at_from is not None and product.compare_at_from > product.price_from

    @extend_schema_field(ProductImageSerializer(allow_null=True))
    def get_image(self, product) -> dict | None:
        images = product.card_images
        if not images:
            return None
        return ProductImageSerializer(images[0], context=self.context).data


class AvailabilitySerializer(serializers.Serializer):
    state = serializers.ChoiceField(choices=[("in_stock", "In stock"), ("low_stock", "Low stock"),
                                             ("out_of_stock", "Out of stock")])
    label = serializers.CharField(help_text="The words a shopper reads, e.g. 'Only 3 left'.")


class VariantSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    sku = serializers.CharField()
    barcode = serializers.CharField()
    title = serializers.CharField(help_text="Option values, e.g. 'L / Blue'.")
    options = serializers.SerializerMethodField()
    price = MoneyAmountField()
    compare_at_price = MoneyAmountField(allow_null=True)
    currency = serializers.CharField()
    is_on_sale = serializers.BooleanField()
    weight_grams = serializers.IntegerField()
    available = serializers.SerializerMethodField()
    availability = serializers.SerializerMethodField()

    @extend_schema_field({"type": "object", "additionalProperties": {"type": "string"},
                          "example": {"Size": "L", "Color": "Blue"}})
    def get_options(self, variant) -> dict:
        return {value.option.name: value.value for value in variant.option_values.all()}

    def get_available(self, variant) -> int:
        """Units that can be sold now, over every active warehouse."""
        return max(variant.available or 0, 0)

    @extend_schema_field(AvailabilitySerializer)
    def get_availability(self, variant) -> dict:
        state, label = describe_availability(variant.available)
        return {"state": state, "label": label}


class ProductOptionSerializer(serializers.Serializer):
    name = serializers.CharField()
    position = serializers.IntegerField()
    values = serializers.ListField(child=serializers.CharField())


class ProductDetailSerializer(serializers.Serializer):
    """A published product with its active variants."""

    # Reads a product from shop.storefront.selectors.product_page (gallery, active_variants with
    # ``available``); ``context["category_tree"]`` gives the breadcrumbs.

    id = serializers.IntegerField()
    slug = serializers.SlugField()
    title = serializers.CharField()
    description = serializers.CharField(help_text="Sanitised HTML.")
    description_text = serializers.CharField(help_text="The description as plain text.")
    vendor = serializers.CharField()
    product_type = serializers.CharField()
    tags = serializers.ListField(child=serializers.CharField(), source="tag_list")
    is_featured = serializers.BooleanField()
    category = CategoryRefSerializer()
    breadcrumbs = serializers.SerializerMethodField()
    seo = serializers.SerializerMethodField()
    options = serializers.SerializerMethodField()
    variants = VariantSerializer(many=True, source="active_variants")
    images = ProductImageSerializer(many=True, source="gallery")
    in_stock = serializers.SerializerMethodField()
    storefront_url = ReverseUrlField("storefront:product")

    @extend_schema_field(CategoryRefSerializer(many=True))
    def get_breadcrumbs(self, product) -> list:
        tree = self.context["category_tree"]
        category = tree.by_id.get(product.category_id)
        return CategoryRefSerializer(tree.breadcrumbs(category) if category else [],
                                     many=True).data

    @extend_schema_field(SeoSerializer)
    def get_seo(self, product) -> dict:
        return {"title": product.page_title, "description": product.page_description}

    @extend_schema_field(ProductOptionSerializer(many=True))
    def get_options(self, product) -> list:
        """The options and the values the active variants offer, each in its set order."""
        names: dict[int, str] = {}
        values: dict[int, dict] = {}
        for variant in product.active_variants:
            for value in variant.option_values.all():
                names[value.option.position] = value.option.name
                values.setdefault(value.option.position, {})[value.pk] = value
        return [
            {"name": names[position], "position": position,
             "values": [value.value for value in sorted(values[position].values(),
                                                        key=lambda item: (item.position, item.pk))]}
            for position in sorted(names)
        ]

    def get_in_stock(self, product) -> bool:
        return any((variant.available or 0) > 0 for variant in product.active_variants)
