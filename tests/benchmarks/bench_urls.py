"""The bench URLconf: the shop's URLs plus /bench/bare/ and /bench/bare-api/, the framework's
ceilings.

The bare view renders a page shaped like a category page (the shop's base.html, breadcrumbs,
a filter sidebar, 24 product cards through the shop's own card include, pagination) from
data built in Python, with no database query: it measures what Django, the middleware, the
template engine and gunicorn cost on their own, so the storefront pages can be read against
it. Any query it tries to run is refused (the page then fails and the bench reports errors).

The bare API view is the checkout API's floor: a DRF ``APIView`` with the project's default
authentication, parsers, renderers and throttles (as the checkout views have) behind the same
middleware, that parses a small JSON body, checks it with a serializer and answers 201 with a
small JSON object, without a query. The checkout bench reads the 7-request order flow
against 7 of these.
"""

from __future__ import annotations

import random
from decimal import Decimal
from types import SimpleNamespace

from django.core.paginator import Paginator
from django.db import connection
from django.shortcuts import render
from django.urls import path
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from shop import urls as shop_urls

CARDS_PER_PAGE = 24


def _node(pk: int, name: str, slug: str, path_: str) -> SimpleNamespace:
    return SimpleNamespace(
        pk=pk, name=name, slug=slug, path=path_,
        ancestor_ids=[int(part) for part in path_.split("/") if part],
        get_absolute_url=f"/c/{slug}/",
    )


_ROOTS = [
    _node(1, "Kitchen", "kitchen", "000001/"),
    _node(5, "Outdoor", "outdoor", "000005/"),
    _node(9, "Clothing", "clothing", "000009/"),
    _node(12, "Home", "home", "000012/"),
]
_CATEGORY = _ROOTS[1]
_CHILDREN = [
    _node(6, "Camping", "camping", "000005/000006/"),
    _node(7, "Hiking", "hiking", "000005/000007/"),
]
_FACETS = [
    SimpleNamespace(name="Color", values=[("Black", 812), ("Blue", 655), ("Green", 540),
                                          ("Orange", 433), ("Red", 610)]),
    SimpleNamespace(name="Size", values=[("S", 402), ("M", 588), ("L", 575), ("XL", 391)]),
    SimpleNamespace(name="Finish", values=[("Matte", 210), ("Natural", 305), ("Polished", 188)]),
]
_SORT_CHOICES = [
    ("featured", "Featured"), ("price", "Price: low to high"), ("-price", "Price: high to low"),
    ("newest", "Newest"), ("name", "Name: A to Z"),
]


def _cards(count: int) -> list[SimpleNamespace]:
    """Objects with the attributes the shop's product card reads, as the listing annotates them."""
    rng = random.Random(7)
    words = ["Sturdy", "Compact", "Everyday", "Alpine", "Cedar", "Canvas", "Steel", "Wool"]
    nouns = ["Lantern", "Skillet", "Daypack", "Mug", "Blanket", "Trowel", "Jacket", "Kettle"]
    cards = []
    for index in range(count):
        price = Decimal(rng.randrange(500, 40000)) / 100
        title = f"{rng.choice(words)} {rng.choice(words)} {rng.choice(nouns)} {index:04d}"
        cards.append(SimpleNamespace(
            pk=index + 1,
            title=title,
            vendor=rng.choice(["Hearth & Iron", "Lodgepole", "Northwind", "Fjellkit"]),
            get_absolute_url=f"/p/{title.lower().replace(' ', '-')}/",
            price_from=price,
            price_to=price + (Decimal("10.00") if index % 3 == 0 else 0),
            compare_at_from=(price * Decimal("1.25")).quantize(Decimal("0.01"))
            if index % 5 == 0 else None,
            in_stock=index % 9 != 0,
            card_images=[],  # the bench catalog has no image files either
            is_featured=index % 11 == 0,
        ))
    return cards


_LISTING = _cards(CARDS_PER_PAGE * 40)


def _refuse_queries(execute, sql, params, many, context):
    raise RuntimeError(f"The bare benchmark view must not query the database: {sql}")


def bare(request):
    with connection.execute_wrapper(_refuse_queries):
        page = Paginator(_LISTING, CARDS_PER_PAGE).page(1)
        context = {
            # Overrides the storefront context processor's lazy tree (which would query).
            "category_tree": SimpleNamespace(roots=_ROOTS),
            "category": _CATEGORY,
            "breadcrumbs": [_CATEGORY],
            "subcategories": _CHILDREN,
            "facets": _FACETS,
            "sort_choices": _SORT_CHOICES,
            "selected_sort": "featured",
            "price_low": Decimal("5.00"),
            "price_high": Decimal("399.99"),
            "page": page,
        }
        return render(request, "benchmarks/bare.html", context)


class BareIn(serializers.Serializer):
    variant_id = serializers.IntegerField(min_value=1)
    quantity = serializers.IntegerField(min_value=1, max_value=99)


class BareApi(APIView):
    """POST {"variant_id": 1, "quantity": 1} -> 201 {"variant_id", "quantity", "token"}."""

    def post(self, request):
        with connection.execute_wrapper(_refuse_queries):
            serializer = BareIn(data=request.data)
            serializer.is_valid(raise_exception=True)
            return Response({**serializer.validated_data,
                             "token": "00000000-0000-0000-0000-000000000000"},
                            status=status.HTTP_201_CREATED)


urlpatterns = [
    path("bench/bare/", bare, name="bench-bare"),
    path("bench/bare-api/", BareApi.as_view(), name="bench-bare-api"),
    *shop_urls.urlpatterns,
]

handler404 = shop_urls.handler404
handler500 = shop_urls.handler500
