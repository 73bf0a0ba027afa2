"""The moderation queue in admin: pending reviews first; approve, reject with a reason and
reply publicly, each by a Merchant (the review moderator); refusals are messages, never
500s; staff without the role get 403."""

import pytest
from django.contrib.auth.models import Group

from catalog.models import Product
from reviews.models import Review
from tests.factories import UserFactory
from tests.reviews.conftest import approved, write

pytestmark = pytest.mark.django_db


@pytest.fixture
def merchant(client, review_roles):
    user = UserFactory(username="merchant", is_staff=True)
    user.groups.add(Group.objects.get(name="Merchant"))
    client.force_login(user)
    return user


def test_the_queue_lists_pending_reviews_by_default(client, merchant, delivered_order):
    pending = write(delivered_order(), title="Waiting here")
    approved(delivered_order(email="bob@example.com"), title="Already out")
    response = client.get("/admin/reviews/review/")
    assert response.status_code == 200
    html = response.content.decode()
    assert pending.title in html and "Already out" not in html
    assert "Already out" in client.get("/admin/reviews/review/", {"status": "all"}).content.decode()


def test_a_merchant_approves_from_the_review_screen(client, merchant, delivered_order,
                                                    catalog):
    review = write(delivered_order(), rating=4)
    page = client.get(f"/admin/reviews/review/{review.pk}/change/").content.decode()
    assert f"/admin/reviews/review/{review.pk}/approve/" in page
    response = client.post(f"/admin/reviews/review/{review.pk}/approve/")
    assert response.status_code == 302
    review.refresh_from_db()
    assert review.status == Review.Status.APPROVED and review.moderated_by == merchant
    shirt = Product.objects.get(pk=catalog["shirt"].pk)
    assert shirt.rating_count == 1
    again = client.post(f"/admin/reviews/review/{review.pk}/approve/")
    assert again.status_code == 409 and "approved" in again.content.decode()


def test_a_rejection_needs_a_reason_and_records_it(client, merchant, delivered_order):
    review = write(delivered_order())
    empty = client.post(f"/admin/reviews/review/{review.pk}/reject/", {"reason": ""})
    assert empty.status_code == 400
    response = client.post(f"/admin/reviews/review/{review.pk}/reject/",
                           {"reason": "Talks about another product"})
    assert response.status_code == 302
    review.refresh_from_db()
    assert (review.status, review.rejection_reason) == ("rejected",
                                                        "Talks about another product")


def test_a_reply_is_saved_and_html_in_it_refused(client, merchant, delivered_order):
    review = approved(delivered_order())
    refused = client.post(f"/admin/reviews/review/{review.pk}/reply/",
                          {"reply": "<b>Thanks</b>"})
    assert refused.status_code == 400 and "plain text" in refused.content.decode()
    client.post(f"/admin/reviews/review/{review.pk}/reply/", {"reply": "Thanks, Ada!"})
    review.refresh_from_db()
    assert review.reply == "Thanks, Ada!"


def test_the_bulk_action_approves_each_and_reports_the_rest(client, merchant, delivered_order):
    first = write(delivered_order())
    second = approved(delivered_order(email="bob@example.com"))
    response = client.post("/admin/reviews/review/?status=all", {
        "action": "approve_selected", "_selected_action": [first.pk, second.pk]}, follow=True)
    assert response.status_code == 200
    html = response.content.decode()
    assert "1 review approved." in html and "is approved" in html
    first.refresh_from_db()
    assert first.status == Review.Status.APPROVED


def test_staff_without_the_role_cannot_moderate(client, review_roles, delivered_order):
    review = write(delivered_order())
    picker = UserFactory(username="picker", is_staff=True)
    picker.groups.add(Group.objects.get(name="Picker"))
    client.force_login(picker)
    for step in ("approve", "reject", "reply"):
        assert client.post(f"/admin/reviews/review/{review.pk}/{step}/",
                           {"reason": "x", "reply": "x"}).status_code == 403
    assert client.get("/admin/reviews/review/").status_code == 403
    review.refresh_from_db()
    assert review.status == Review.Status.PENDING


def test_the_queue_costs_the_same_queries_for_two_reviews_and_eight(client, merchant,
                                                                     delivered_order):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/admin/reviews/review/").status_code == 200
        return len(captured)

    for number in range(2):
        write(delivered_order(email=f"a{number}@example.com", mugs=0, shirts=1))
    two = queries()
    for number in range(6):
        write(delivered_order(email=f"b{number}@example.com", mugs=0, shirts=1))
    assert queries() == two
