"""Storefront pages. Thin: parse the request, call selectors, render."""

from __future__ import annotations

from django.conf import settings
from django.core.paginator import EmptyPage, PageNotAnInteger, Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from catalog import selectors as catalog_selectors
from catalog.models import Product
from inventory.selectors import describe_availability
from kernel.money import Money
from reviews import selectors as review_selectors
from shop.dashboard import tracking

from . import delivery, selectors, seo
from .forms import ProductFilterForm, SearchForm
from .pages import published_page


def _page(request: HttpRequest, items, per_page: int):
    """A page of ``items``; a page number that is not a page is a 404, not a 500."""
    paginator = Paginator(items, per_page)
    try:
        return paginator.page(request.GET.get("page") or 1)
    except (EmptyPage, PageNotAnInteger) as error:
        raise Http404("There is no such page of results.") from error


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    # Featured is a shop window: only products that can be bought today.
    featured, newest = selectors.home_products(request)
    return render(request, "storefront/home.html", {"featured": featured, "newest": newest})


@require_GET
def category_detail(request: HttpRequest, slug: str) -> HttpResponse:
    tree = selectors.request_category_tree(request)
    category = tree.by_slug.get(slug)
    if category is None:
        raise Http404("No such category.")
    in_category = selectors.storefront_products().filter(category_id__in=tree.subtree_ids(category))
    facets, (low, high) = selectors.category_facets_and_price_bounds(request, category,
                                                                      in_category)
    form = ProductFilterForm(request.GET, option_names=[facet.name for facet in facets])
    form.is_valid()
    filters = form.filters()
    listing = catalog_selectors.filter_products(in_category, filters)
    key = None  # "In stock only" depends on stock: never cached.
    if filters.in_stock_only:
        listing = selectors.only_in_stock(listing)
    else:
        key = selectors.listing_key("category", category.pk, filters.price_min, filters.price_max,
                                    sorted((name.lower(), sorted(values))
                                           for name, values in filters.options.items()),
                                    filters.sort)
    version = selectors.request_catalog_version(request)
    page = _page(request, selectors.CachedListing(listing, key=key, version=version),
                 settings.SHOP_PRODUCTS_PER_PAGE)
    page.object_list = selectors.mark_cards(page.object_list)
    context = {
        "category": category,
        "breadcrumbs": tree.breadcrumbs(category),
        "subcategories": tree.children_of(category),
        "page": page,
        "form": form,
        "facets": facets,
        "selected_options": filters.options,
        "price_low": low,
        "price_high": high,
    }
    return render(request, "storefront/category.html", context, status=400 if form.errors else 200)


@require_GET
def search(request: HttpRequest) -> HttpResponse:
    form = SearchForm(request.GET)
    query = form.cleaned_data["q"] if form.is_valid() else ""
    context = {"search_form": form, "query": query, "page": None}
    if query:
        results = catalog_selectors.search_products(selectors.storefront_products(), query)
        key = selectors.listing_key("search", catalog_selectors.search_terms(query))
        version = selectors.request_catalog_version(request)
        page = _page(request, selectors.CachedListing(results, key=key, version=version),
                     settings.SHOP_PRODUCTS_PER_PAGE)
        page.object_list = selectors.mark_cards(page.object_list)
        context["page"] = page
        context["did_you_mean"] = catalog_selectors.did_you_mean(query, page.object_list)
        if not page.object_list:
            context["popular"] = selectors.popular_products()
    return render(request, "storefront/search.html", context, status=400 if form.errors else 200)


def _chosen_variant(request: HttpRequest, product: Product):
    """The variant asked for by ``?variant=ID`` or by option values, else the first in stock."""
    variants = product.active_variants
    wanted = request.GET.get("variant", "")
    for variant in variants:
        if str(variant.pk) == wanted:
            return variant
    by_options = {
        key: value for key, value in request.GET.items() if key.startswith("option")
    }
    if by_options:
        for variant in variants:
            values = {f"option{value.option.position}": value.value
                      for value in variant.option_values.all()}
            if all(values.get(key) == value for key, value in by_options.items()):
                return variant
    return next((variant for variant in variants if variant.available > 0), variants[0])


def _mark_sold_out_values(options: dict[int, dict], chosen, variants) -> None:
    """Each option value becomes ``{"value", "sold_out"}``: sold out when the variant with
    that value and the chosen variant's other values can't be bought (or does not exist).
    product.js keeps the marks in step as the shopper picks."""
    buyable = {tuple(sorted(variant.selected_values.items()))
               for variant in variants if variant.available > 0}
    for position, option in options.items():
        key = f"option{position}"
        marked = []
        for value in option["values"]:
            wanted = {**chosen.selected_values, key: value}
            marked.append({"value": value,
                           "sold_out": tuple(sorted(wanted.items())) not in buyable})
        option["values"] = marked


@require_GET
def product_detail(request: HttpRequest, slug: str) -> HttpResponse:
    product = selectors.product_page_for(request, slug)
    if product is None or not product.active_variants:
        raise Http404("No such product.")
    tracking.record(request, "product_view")
    tree = selectors.request_category_tree(request)
    chosen = _chosen_variant(request, product)
    options: dict[int, dict] = {}
    variant_data = []
    for variant in product.active_variants:
        values = {}
        for value in variant.option_values.all():
            option = options.setdefault(
                value.option.position,
                {"name": value.option.name, "position": value.option.position, "values": []},
            )
            if value.value not in option["values"]:
                option["values"].append(value.value)
            values[f"option{value.option.position}"] = value.value
        state, label = describe_availability(variant.available)
        variant.availability_state, variant.availability_label = state, label
        variant.selected_values = values
        variant_data.append({
            "id": variant.pk,
            "sku": variant.sku,
            "title": variant.title,
            "options": values,
            "price": str(Money(variant.price, variant.currency)),
            "compareAt": str(Money(variant.compare_at_price, variant.currency))
            if variant.is_on_sale else "",
            "availability": state,
            "availabilityLabel": label,
        })
    for option in options.values():
        option["selected"] = chosen.selected_values.get(f"option{option['position']}")
    _mark_sold_out_values(options, chosen, product.active_variants)
    promises = delivery.promises_for(request, product.active_variants)
    # No query for a product nobody has reviewed; one (capped) for any number of reviews.
    reviews = review_selectors.latest_reviews(product.pk) if product.rating_count else []
    context = {
        "product": product,
        "category": product.category,
        "breadcrumbs": tree.breadcrumbs(product.category)
        if product.category_id in tree.by_id else [],
        "variant": chosen,
        "options": [options[position] for position in sorted(options)],
        "variant_data": variant_data,
        "delivery_promises": [(variant_id, promise.text)
                              for variant_id, promise in promises.items()],
        "delivery_promise": promises.get(chosen.pk),
        "reviews": reviews,
        "product_json_ld": seo.product_json_ld(product, variants=product.active_variants,
                                               reviews=reviews),
    }
    return render(request, "storefront/product.html", context)


@require_GET
def page_detail(request: HttpRequest, slug: str) -> HttpResponse:
    """One of the shop's pages (contact, shipping, returns...), as staff wrote it."""
    page = published_page(slug)
    if page is None:
        raise Http404("No such page.")
    return render(request, "storefront/page.html", {"page": page})
