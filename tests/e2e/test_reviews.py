"""A review in a real browser: the delivered order's invitation email links a guest to the
review form (on a phone); a Merchant approves it in admin; the review and the rating show
on the product page, at phone and desktop widths, readable (AA contrast) and inside the
screen."""

import re

import pytest
from django.contrib.auth.models import Group
from django.core import mail
from playwright.sync_api import expect

from reviews.invitations import send_review_invitation
from reviews.models import Review
from tests.e2e.conftest import ARTIFACTS
from tests.e2e.test_storefront_layout import CONTRAST_JS, DESKTOP, PHONE, no_horizontal_overflow
from tests.factories import UserFactory
from tests.reviews import conftest as review_fixtures

warehouse = review_fixtures.warehouse
catalog = review_fixtures.catalog
delivered_order = review_fixtures.delivered_order
review_roles = review_fixtures.review_roles

pytestmark = pytest.mark.django_db(transaction=True)
PASSWORD = "correct horse battery"


def test_invitation_to_review_to_approval_to_the_product_page(page, browser, live_server,
                                                              delivered_order, catalog,
                                                              review_roles, settings):
    settings.SHOP_BASE_URL = live_server.url
    mail.outbox.clear()
    order = delivered_order()  # the delivery queues the invitation (Celery runs it here)
    invitations = [message for message in mail.outbox if "How is your order" in message.subject]
    assert len(invitations) == 1 and invitations[0].to == ["ada@example.com"]
    assert not send_review_invitation(order_id=order.pk)  # once per order
    link = re.search(r"(http\S+/reviews/write/\S+/)", invitations[0].body).group(1)

    # The guest, on a phone, from the email.
    page.set_viewport_size(PHONE)
    page.goto(link)
    expect(page.get_by_role("heading", name=f"Review your order {order.number}")).to_be_visible()
    no_horizontal_overflow(page)
    shirt = page.locator("[data-testid=review-item]").filter(has_text="Linen Shirt")
    shirt.get_by_label("4 stars").check()
    shirt.get_by_label("Title").fill("Soft and cool")
    shirt.get_by_label("Your review").fill("<b>bold</b> claims")
    shirt.get_by_role("button", name="Send review of Linen Shirt").click()
    expect(page.get_by_text("Plain text only").first).to_be_visible()
    shirt = page.locator("[data-testid=review-item]").filter(has_text="Linen Shirt")
    shirt.get_by_label("4 stars").check()
    shirt.get_by_label("Your review").fill("Soft linen, cool on hot days. Runs a bit short.")
    shirt.get_by_role("button", name="Send review of Linen Shirt").click()
    expect(page.get_by_text("Thank you! Your review will appear")).to_be_visible()
    expect(page.get_by_test_id("reviewed")).to_contain_text("4 out of 5 stars")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "reviews-write-390.png"), full_page=True)
    review = Review.objects.get()
    assert review.status == Review.Status.PENDING

    # Not on the product page until approved.
    page.goto(f"{live_server.url}{catalog['shirt'].get_absolute_url()}")
    expect(page.get_by_text("No reviews yet.")).to_be_visible()

    # A Merchant approves it in admin, on a desktop.
    staff = UserFactory(username="merchant", is_staff=True, password=PASSWORD)
    staff.groups.add(Group.objects.get(name="Merchant"))
    admin = browser.new_context(viewport=DESKTOP).new_page()
    admin.goto(f"{live_server.url}/admin/login/")
    admin.get_by_label("Username").fill("merchant")
    admin.get_by_label("Password").fill(PASSWORD)
    admin.get_by_role("button", name="Log in").click()
    admin.goto(f"{live_server.url}/admin/reviews/review/")
    admin.get_by_role("link", name="Soft and cool").click()
    admin.get_by_role("link", name="Approve…").click()
    admin.get_by_role("button", name="Approve and publish").click()
    expect(admin.get_by_text("Review approved")).to_be_visible()
    admin.get_by_role("link", name="Reply publicly…").click()
    admin.get_by_label("Public reply").fill("Thank you! The longer cut arrives in May.")
    admin.get_by_role("button", name="Save reply").click()
    expect(admin.get_by_text("Reply saved.")).to_be_visible()
    admin.context.close()

    # The product page, on a phone and on a desktop.
    for viewport in (PHONE, DESKTOP):
        page.set_viewport_size(viewport)
        page.goto(f"{live_server.url}{catalog['shirt'].get_absolute_url()}")
        expect(page.get_by_test_id("rating-summary")).to_contain_text(
            "4 out of 5 stars, 1 review")
        item = page.get_by_test_id("review")
        expect(item).to_contain_text("Soft and cool")
        expect(item).to_contain_text("verified buyer")
        expect(page.get_by_test_id("review-reply")).to_contain_text("longer cut")
        no_horizontal_overflow(page)
        ARTIFACTS.mkdir(exist_ok=True)
        page.locator("#reviews").screenshot(
            path=str(ARTIFACTS / f"reviews-product-{viewport['width']}.png"))
        for selector in (".review-meta", ".rating-stars", ".review-body p",
                         ".review-reply-from"):
            ratio = page.locator(selector).first.evaluate(CONTRAST_JS)
            assert ratio >= 4.5, f"{selector} has a contrast of {ratio:.2f}:1"
        # The card in search results says the rating in words too.
        page.goto(f"{live_server.url}/search/?q=linen")
        expect(page.locator(".product-card .rating")).to_contain_text(
            "4 out of 5 stars, 1 review")
        no_horizontal_overflow(page)
