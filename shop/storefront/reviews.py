"""The review pages: write reviews for an order (from the invitation's signed link, or
from the customer's own order page) and read a product's reviews. Thin: parse, call the
service or a selector, render; a refusal re-renders the form with its message and a 4xx.
Posting a review is rate limited (``SHOP_RATE_LIMITS["review"]``, per IP and account), which
is why the pages live here in shop, beside ``shop.web.rate_limits``, not in the reviews app."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import EmptyPage, PageNotAnInteger, Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from catalog import selectors as catalog_selectors
from kernel.errors import ShopError
from orders.models import Order
from reviews import selectors, services
from reviews.forms import ReviewForm
from reviews.links import order_id_from_signature
from shop.web.rate_limits import rate_limited

REVIEWS_PER_PAGE = 20


def _write(request: HttpRequest, order: Order, *, invited: bool) -> HttpResponse:
    items = selectors.reviewable_items(order)
    user = request.user if request.user.is_authenticated else None
    author = services.default_author_name(order, order.user if order.user_id else None)
    forms_by_line, status = {}, 200
    if request.method == "POST":
        form = ReviewForm(request.POST, auto_id=f"line{data_line(request.POST)}_%s")
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.write_review(
                    order_line_id=data["line"], rating=data["rating"], title=data["title"],
                    body=data["body"], author_name=data["author_name"] or author, user=user,
                    invited_order_id=order.pk if invited else None)
            except ShopError as error:
                form.add_error(None, error.message)
                status = error.status_code
            else:
                messages.success(request, "Thank you! Your review will appear once we have "
                                           "read it.")
                return redirect(request.path)
        else:
            status = 400
        forms_by_line[data_line(request.POST)] = form
    for item in items:
        item.form = forms_by_line.get(item.line.pk) or ReviewForm(
            initial={"line": item.line.pk, "author_name": author},
            auto_id=f"line{item.line.pk}_%s")
    # A posted form whose item shows no form (already reviewed, not delivered, not in this
    # order): its errors go at the top of the page.
    shown = {item.line.pk for item in items if item.can_review}
    stray = [form for line, form in forms_by_line.items() if line not in shown]
    return render(request, "reviews/write.html", {
        "order": order, "items": items, "stray_form": stray[0] if stray else None,
    }, status=status)


def data_line(data) -> int | None:
    try:
        return int(data.get("line", ""))
    except (TypeError, ValueError):
        return None


@require_http_methods(["GET", "POST"])
@rate_limited("review")
def invitation(request: HttpRequest, signature: str) -> HttpResponse:
    order_id = order_id_from_signature(signature)
    order = Order.objects.select_related("billing_address", "user").filter(pk=order_id).first() \
        if order_id else None
    if order is None:
        return render(request, "reviews/link_invalid.html", status=404)
    return _write(request, order, invited=True)


@login_required
@require_http_methods(["GET", "POST"])
@rate_limited("review")
def for_order(request: HttpRequest, number: str) -> HttpResponse:
    order = (Order.objects.select_related("billing_address", "user")
             .filter(user=request.user, number=number).first())
    if order is None:
        raise Http404("No such order in your account.")
    return _write(request, order, invited=False)


@require_GET
def product_reviews(request: HttpRequest, slug: str) -> HttpResponse:
    product = catalog_selectors.published_products().filter(slug=slug).first()
    if product is None:
        raise Http404("No such product.")
    paginator = Paginator(selectors.approved_reviews(product.pk), REVIEWS_PER_PAGE)
    try:
        page = paginator.page(request.GET.get("page") or 1)
    except (EmptyPage, PageNotAnInteger) as error:
        raise Http404("There is no such page of reviews.") from error
    return render(request, "reviews/product_reviews.html", {"product": product, "page": page})
