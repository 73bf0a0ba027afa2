"""Read-side catalog queries, each a fixed number of SQL queries whatever the catalog size.

Availability lives in inventory; callers that need it annotate the querysets returned
here with ``inventory.selectors`` expressions.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import connection
from django.db.models import (
    Case,
    Count,
    DecimalField,
    Exists,
    F,
    IntegerField,
    Max,
    Min,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
    Window,
)

from .models import Category, OptionValue, Product, ProductImage, Variant

SORTS = {
    "featured": ("-is_featured", "title"),
    "price": ("price_from", "title"),
    "-price": ("-price_from", "title"),
    "newest": ("-created_at", "-pk"),
    "name": ("title", "pk"),
}
MAX_SEARCH_TERMS = 8


@dataclass
class CategoryTree:
    """All active categories, loaded in one query, navigable without more."""

    categories: list[Category]
    by_id: dict[int, Category] = field(init=False)
    by_slug: dict[str, Category] = field(init=False)
    children: dict[int | None, list[Category]] = field(init=False)

    def __post_init__(self) -> None:
        self.by_id = {category.pk: category for category in self.categories}
        self.by_slug = {category.slug: category for category in self.categories}
        self.children = {}
        for category in sorted(self.categories, key=lambda item: (item.position, item.name)):
            self.children.setdefault(category.parent_id, []).append(category)

    @property
    def roots(self) -> list[Category]:
        return self.children.get(None, [])

    def breadcrumbs(self, category: Category) -> list[Category]:
        return [self.by_id[pk] for pk in category.ancestor_ids if pk in self.by_id]

    def subtree_ids(self, category: Category) -> list[int]:
        """The category and everything below it (active only)."""
        return [item.pk for item in self.categories if item.path.startswith(category.path)]

    def children_of(self, category: Category) -> list[Category]:
        return self.children.get(category.pk, [])


def category_tree() -> CategoryTree:
    """Active categories whose ancestors are all active, in one query."""
    categories = list(Category.objects.all().order_by("path"))
    inactive_paths = [category.path for category in categories if not category.is_active]
    visible = [
        category for category in categories
        if not any(category.path.startswith(path) for path in inactive_paths)
    ]
    return CategoryTree(visible)


def _cheapest_active_price() -> Subquery:
    cheapest = (
        Variant.objects.filter(product=OuterRef("pk"), is_active=True)
        .order_by("price")
        .values("price")[:1]
    )
    return Subquery(cheapest, output_field=DecimalField(max_digits=12, decimal_places=2))


def _highest_compare_at_price() -> Subquery:
    cheapest_variant = (
        Variant.objects.filter(product=OuterRef("pk"), is_active=True)
        .order_by("price")
        .values("compare_at_price")[:1]
    )
    return Subquery(cheapest_variant, output_field=DecimalField(max_digits=12, decimal_places=2))


def published_products() -> QuerySet[Product]:
    """Products a shopper may see: published, with at least one active variant.

    Annotated with ``price_from`` (the cheapest active variant's price), its
    ``compare_at_from`` and ``price_varies`` for product cards and price sorting.
    """
    active_variants = Variant.objects.filter(product=OuterRef("pk"), is_active=True)
    dearest = active_variants.order_by("-price").values("price")[:1]
    return (
        Product.objects.filter(is_published=True)
        .filter(Exists(active_variants))
        # Listings never show these; the product page loads its product separately.
        .defer("description", "description_text", "search_vector")
        .annotate(
            price_from=_cheapest_active_price(),
            compare_at_from=_highest_compare_at_price(),
            price_to=Subquery(dearest, output_field=DecimalField(max_digits=12, decimal_places=2)),
        )
    )


def with_card_images(products: QuerySet[Product]) -> QuerySet[Product]:
    """Prefetch, in one query, the images a product card shows (those that have a file)."""
    return products.prefetch_related(
        Prefetch(
            "images",
            queryset=ProductImage.objects.exclude(image="").order_by("position", "pk"),
            to_attr="card_images",
        )
    )


@dataclass(frozen=True)
class ProductFilters:
    price_min: Decimal | None = None
    price_max: Decimal | None = None
    options: Mapping[str, Sequence[str]] = field(default_factory=dict)
    in_stock_only: bool = False
    sort: str = "featured"


def filter_products(products: QuerySet[Product], filters: ProductFilters) -> QuerySet[Product]:
    """Apply price range and option value filters, then sort.

    Option filters match one variant that has all the chosen values at once (a Medium
    that is also Red), among the active variants. Stock is filtered by the caller.
    """
    if filters.price_min is not None:
        products = products.filter(price_from__gte=filters.price_min)
    if filters.price_max is not None:
        products = products.filter(price_from__lte=filters.price_max)
    if filters.options:
        matching = Variant.objects.filter(product=OuterRef("pk"), is_active=True)
        for name, values in filters.options.items():
            matching = matching.filter(
                option_values__in=OptionValue.objects.filter(option__name__iexact=name,
                                                             value__in=list(values))
            )
        products = products.filter(Exists(matching))
    return products.order_by(*SORTS.get(filters.sort, SORTS["featured"]))


@dataclass(frozen=True)
class Facet:
    name: str
    values: list[tuple[str, int]]


def option_facets(products: QuerySet[Product]) -> list[Facet]:
    """Option values offered by the active variants of ``products``, with product counts."""
    rows = (
        OptionValue.objects.filter(
            option__product__in=products.values("pk"), variants__is_active=True
        )
        .values("option__name", "value")
        .annotate(products=Count("option__product", distinct=True))
        .order_by("option__name", "value")
    )
    facets: dict[str, list[tuple[str, int]]] = {}
    for row in rows:
        facets.setdefault(row["option__name"], []).append((row["value"], row["products"]))
    return [Facet(name=name, values=_natural_order(values)) for name, values in facets.items()]


_SIZE_ORDER = {size: index for index, size in enumerate(
    ["XXS", "XS", "S", "M", "L", "XL", "XXL", "XXXL"])}


def _natural_order(values: list[tuple[str, int]]) -> list[tuple[str, int]]:
    """Clothing sizes in size order, numbers by value, the rest alphabetically."""
    def key(item: tuple[str, int]):
        text = item[0]
        if text.upper() in _SIZE_ORDER:
            return (0, _SIZE_ORDER[text.upper()], "")
        number = re.match(r"^\d+(\.\d+)?", text)
        if number:
            return (1, float(number.group()), text)
        return (2, 0, text.lower())
    return sorted(values, key=key)


def price_bounds(products: QuerySet[Product]) -> tuple[Decimal | None, Decimal | None]:
    """The lowest and highest active variant price among ``products`` (one query)."""
    bounds = Variant.objects.filter(product__in=products.values("pk"), is_active=True).aggregate(
        low=Min("price"), high=Max("price")
    )
    return bounds["low"], bounds["high"]


def search_terms(text: str) -> list[str]:
    """The words of a search, lower-cased; punctuation and operators are dropped."""
    return re.findall(r"[^\W_]+", (text or "").lower())[:MAX_SEARCH_TERMS]


# How close a misspelt word must be to a word of a title (pg_trgm's word_similarity: "knfe"
# and "Knife" score 0.4, "skilet" and "Skillet" 0.67, unrelated words near 0).
TYPO_SIMILARITY = 0.4


def search_products(products: QuerySet[Product], text: str) -> QuerySet[Product]:
    """Products matching the words of ``text`` in any order, best first; one query.

    Each word counts 2 for a product that contains it (on PostgreSQL: full-text, prefixes
    too, so "lant" finds "lantern"; elsewhere: LIKE on title, vendor, type, tags and
    description) and, on PostgreSQL, 1 when only a title word is near it by trigrams
    (pg_trgm, ``catalog/0006_trigram_search``: "skilet" finds "Cast Iron Skillet"). The
    result keeps the products with the best score, so every word found exactly beats a
    typo, and a word nothing has ("blue shirt" when the shirts are navy) does not empty
    the page.
    """
    terms = search_terms(text)
    if not terms:
        return products.none()
    scores = []
    if connection.vendor == "postgresql":
        from django.contrib.postgres.search import (
            SearchQuery,
            SearchRank,
            TrigramWordSimilarity,
        )

        for term in terms:
            exact = Q(search_vector=SearchQuery(f"{term}:*", search_type="raw",
                                                config="english"))
            scores.append((exact, TrigramWordSimilarity(term, "title")))
        everything = SearchQuery(" | ".join(f"{term}:*" for term in terms), search_type="raw",
                                 config="english")
        rank = SearchRank(F("search_vector"), everything)
    else:
        for term in terms:
            exact = (Q(title__icontains=term) | Q(vendor__icontains=term)
                     | Q(product_type__icontains=term) | Q(tags__icontains=term)
                     | Q(description_text__icontains=term))
            scores.append((exact, None))
        rank = Value(0.0)
    score = Value(0)
    closeness = Value(0.0)
    for index, (exact, similarity) in enumerate(scores):
        whens = [When(exact, then=2)]
        if similarity is not None:
            similarity_name = f"similarity_{index}"
            products = products.alias(**{similarity_name: similarity})
            whens.append(When(**{f"{similarity_name}__gte": TYPO_SIMILARITY}, then=1))
            closeness = closeness + F(similarity_name)
        score = score + Case(*whens, default=0, output_field=IntegerField())
    return (
        products.alias(search_score=score)
        .filter(search_score__gt=0)
        .annotate(best_score=Window(Max("search_score")), rank=rank + closeness)
        .filter(search_score=F("best_score"))
        .order_by("-rank", "title", "pk")
    )


def did_you_mean(text: str, products: Sequence[Product]) -> str | None:
    """The search with each word nothing's title has replaced by the closest title word of
    ``products`` (the results), or None when no word changed: "skilet" -> "skillet"."""
    terms = search_terms(text)
    words = sorted({word for product in products for word in search_terms(product.title)})
    if not terms or not words:
        return None
    corrected = []
    for term in terms:
        if any(word.startswith(term) for word in words):
            corrected.append(term)
            continue
        close = difflib.get_close_matches(term, words, n=1, cutoff=0.6)
        corrected.append(close[0] if close else term)
    return " ".join(corrected) if corrected != terms else None


def product_for_page(*, slug: str, variants: QuerySet[Variant] | None = None) -> Product | None:
    """A published product with its gallery and active variants (with option values).

    ``variants`` lets the caller annotate the variant queryset (availability).
    """
    variants = variants if variants is not None else Variant.objects.all()
    variants = variants.filter(is_active=True).order_by("position", "pk").prefetch_related(
        Prefetch("option_values",
                 queryset=OptionValue.objects.select_related("option").order_by(
                     "option__position", "position"))
    )
    return (
        Product.objects.filter(is_published=True, slug=slug)
        .select_related("category")
        .prefetch_related(
            Prefetch("images", queryset=ProductImage.objects.exclude(image="").order_by(
                "position", "pk"), to_attr="gallery"),
            Prefetch("variants", queryset=variants, to_attr="active_variants"),
        )
        .first()
    )
