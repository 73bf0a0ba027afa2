"""A guest with no account reviews from their order page (the signed link in their order
email), on a phone and without JavaScript: "Review your items" leads to the review form,
and the review is sent."""

import pytest
from playwright.sync_api import expect

from orders.links import guest_order_signature
from reviews.models import Review
from tests.e2e.conftest import ARTIFACTS
from tests.e2e.test_storefront_layout import PHONE, no_horizontal_overflow
from tests.reviews import conftest as review_fixtures

warehouse = review_fixtures.warehouse
catalog = review_fixtures.catalog
delivered_order = review_fixtures.delivered_order

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_guest_reviews_from_the_order_page_on_a_phone_without_javascript(
        browser, live_server, delivered_order):
    order = delivered_order()
    context = browser.new_context(java_script_enabled=False, viewport=PHONE)
    page = context.new_page()
    page.goto(f"{live_server.url}/orders/view/{guest_order_signature(order)}/")
    no_horizontal_overflow(page)
    page.get_by_test_id("review-order").click()
    expect(page.get_by_role("heading", name=f"Review your order {order.number}")).to_be_visible()
    mug = page.locator("[data-testid=review-item]").filter(has_text="Stoneware Mug")
    mug.get_by_label("5 stars").check()
    mug.get_by_label("Your review").fill("Keeps coffee hot, lovely glaze.")
    mug.get_by_role("button", name="Send review of Stoneware Mug").click()
    expect(page.get_by_text("Thank you! Your review will appear")).to_be_visible()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "reviews-guest-order-link-390.png"), full_page=True)
    context.close()
    review = Review.objects.get()
    assert (review.rating, review.status, review.product.title) == (5, "pending",
                                                                     "Stoneware Mug")
