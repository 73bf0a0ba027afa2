"""Every write to reviews: a verified buyer writes one, a moderator approves, rejects or
replies, a data request erases the person from theirs. Each is one transaction; the
guard is checked under the row lock; the product's rating is recomputed from its approved
reviews in the same transaction as the change that moves it."""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal

from django.db import IntegrityError, transaction
from django.db.models import Avg, Count
from django.utils import timezone

from catalog import listing_cache
from catalog.models import Product
from fulfillment.models import Shipment, ShipmentLine
from kernel.personal_data import Subject
from orders.personal_data import ERASED_EMAIL

from . import locks
from .exceptions import AlreadyReviewed, NotAVerifiedBuyer, ReviewError
from .models import ANONYMOUS_AUTHOR, AUTHOR_MAX, BODY_MAX, BODY_MIN, TITLE_MAX, Review

# A tag, a comment or a doctype: "<b>", "</p>", "<!--", "<?xml". A lone "<" as in "3 < 4"
# is plain text and allowed.
HTML = re.compile(r"<\s*[a-zA-Z/!?]")
REASON_MAX = 1000
REPLY_MAX = 2000


def clean_rating(rating) -> int:
    try:
        value = int(str(rating).strip())
    except (TypeError, ValueError):
        raise ReviewError("Choose a rating from 1 to 5 stars.", code="rating") from None
    if not 1 <= value <= 5:
        raise ReviewError("Choose a rating from 1 to 5 stars.", code="rating")
    return value


def clean_text(value, *, name: str, minimum: int, maximum: int) -> str:
    """Plain text only: stripped, within its length, no HTML and no control bytes (HTML is
    refused rather than stripped, so what the reviewer sees is what is published)."""
    text = str(value or "").replace("\r\n", "\n").strip()
    if any(ord(char) < 32 and char not in "\n\t" for char in text):
        raise ReviewError(f"The {name} contains characters that can't be shown.",
                          code="control_characters")
    if HTML.search(text):
        raise ReviewError(f"The {name} is plain text: please remove the HTML (anything "
                          f"between < and >).", code="html")
    if len(text) < minimum:
        raise ReviewError(f"The {name} needs at least {minimum} characters." if minimum > 1
                          else f"Enter the {name}.", code="too_short")
    if len(text) > maximum:
        raise ReviewError(f"The {name} can be at most {maximum} characters "
                          f"(it has {len(text)}).", code="too_long")
    return text


def default_author_name(order, user=None) -> str:
    """First name and the last name's initial ("Ada L."), from the account or the order's
    address; "A customer" when neither has a name."""
    first, last = "", ""
    if user is not None and getattr(user, "first_name", ""):
        first, last = user.first_name, user.last_name
    else:
        address = order.billing_address if order.billing_address_id else None
        if address is not None:
            first, last = address.first_name, address.last_name
    first, last = first.strip(), last.strip()
    if not first:
        return ANONYMOUS_AUTHOR
    return f"{first} {last[0]}." if last else first


def is_delivered(order_line_id: int) -> bool:
    return ShipmentLine.objects.filter(order_line_id=order_line_id,
                                       shipment__state=Shipment.State.DELIVERED).exists()


def write_review(*, order_line_id: int, rating, title, body, author_name="", user=None,
                 invited_order_id: int | None = None) -> Review:
    """A buyer reviews the product of one of their order lines.

    Who may: the account that placed the order (``user``), or whoever holds the order's
    signed invitation link (``invited_order_id``, the order it names). Preconditions,
    checked with the order line locked: the line's units were delivered, and the line (or,
    for an account, the product) has no review yet. Guarantees: a pending review (not in
    the rating until approved), or an error with a message and nothing written.
    """
    rating = clean_rating(rating)
    title = clean_text(title, name="title", minimum=0, maximum=TITLE_MAX)
    body = clean_text(body, name="review", minimum=BODY_MIN, maximum=BODY_MAX)
    author_name = clean_text(author_name, name="name", minimum=0, maximum=AUTHOR_MAX)
    with transaction.atomic():
        line = locks.order_line_for_update(order_line_id)
        order = line.order
        by_account = user is not None and user.is_authenticated and order.user_id == user.pk
        by_link = invited_order_id is not None and invited_order_id == order.pk
        if not (by_account or by_link):
            raise NotAVerifiedBuyer("Only the customer who bought this item can review it.")
        if order.email == ERASED_EMAIL:
            # The buyer's data was erased (account closed): an old invitation link opens
            # nothing to review any more.
            raise NotAVerifiedBuyer("This order's personal data was erased; it can't be "
                                    "reviewed.")
        if line.variant_id is None:
            raise ReviewError("This item is no longer sold, so it can't be reviewed.")
        if not is_delivered(line.pk):
            raise NotAVerifiedBuyer("You can review this item once it has been delivered.")
        product_id = line.variant.product_id
        reviewer = order.user if order.user_id else None
        if Review.objects.filter(order_line=line).exists() or (
                reviewer is not None and
                Review.objects.filter(product_id=product_id, user=reviewer).exists()):
            raise AlreadyReviewed("You have already reviewed this product. Thank you!")
        try:
            with transaction.atomic():  # a savepoint: the constraint is the last word
                return Review.objects.create(
                    product_id=product_id, order_line=line, user=reviewer,
                    email=order.email.strip().lower(), rating=rating, title=title, body=body,
                    author_name=author_name or default_author_name(order, reviewer))
        except IntegrityError:
            raise AlreadyReviewed("You have already reviewed this product. "
                                  "Thank you!") from None


def _recompute_rating(product_id: int) -> None:
    """Set the product's rating from its approved reviews, under the product's lock (two
    moderators approving reviews of one product at once each count the other's)."""
    locks.product_for_update(product_id)
    totals = Review.objects.filter(product_id=product_id, status=Review.Status.APPROVED) \
        .aggregate(average=Avg("rating"), count=Count("pk"))
    average = None
    if totals["count"]:
        average = Decimal(str(totals["average"])).quantize(Decimal("0.01"), ROUND_HALF_UP)
    Product.objects.filter(pk=product_id).update(rating_average=average,
                                                 rating_count=totals["count"])
    listing_cache.catalog_changed()  # cached listings show the new stars


def import_review(*, product_id: int, rating, title, body, author_name: str,
                  reply: str = "") -> Review:
    """An approved review brought from elsewhere: a previous shop's verified reviews when
    moving to this one, and the demo catalog's (``shop.demo``). It has no order line (the
    purchase was verified where it was written), is checked like a written one (rating,
    length, no HTML) and counts in the product's rating at once. Shoppers can't reach it:
    their reviews go through ``write_review`` and moderation."""
    rating = clean_rating(rating)
    title = clean_text(title, name="title", minimum=0, maximum=TITLE_MAX)
    body = clean_text(body, name="review", minimum=BODY_MIN, maximum=BODY_MAX)
    author_name = clean_text(author_name, name="name", minimum=1, maximum=AUTHOR_MAX)
    with transaction.atomic():
        now = timezone.now()
        review = Review.objects.create(
            product_id=product_id, rating=rating, title=title, body=body,
            author_name=author_name, status=Review.Status.APPROVED, moderated_at=now,
            reply=reply.strip(), replied_at=now if reply.strip() else None)
        _recompute_rating(product_id)
        return review


def _moderate(review_id: int, new_status: str, actor, **fields) -> Review:
    review = locks.review_for_update(review_id)
    review.ensure_can_become(new_status)
    counted_before = review.status == Review.Status.APPROVED
    review.status = new_status
    review.moderated_by = actor if getattr(actor, "pk", None) else None
    review.moderated_at = timezone.now()
    for name, value in fields.items():
        setattr(review, name, value)
    review.save()
    if counted_before or new_status == Review.Status.APPROVED:
        _recompute_rating(review.product_id)
    return review


def approve_review(*, review_id: int, actor=None) -> Review:
    """Publish a pending review. It counts in the product's rating from now on."""
    with transaction.atomic():
        return _moderate(review_id, Review.Status.APPROVED, actor)


def reject_review(*, review_id: int, reason: str, actor=None) -> Review:
    """Refuse a pending review, or take down an approved one (its rating leaves the
    product's average), with the reason staff will read later. Never shown publicly."""
    reason = clean_text(reason, name="reason", minimum=1, maximum=REASON_MAX)
    with transaction.atomic():
        return _moderate(review_id, Review.Status.REJECTED, actor, rejection_reason=reason)


def reply_to_review(*, review_id: int, reply: str, actor=None) -> Review:
    """The shop answers a review publicly, shown under it. An empty reply removes the
    answer. A rejected review is not shown, so it takes no reply."""
    reply = clean_text(reply, name="reply", minimum=0, maximum=REPLY_MAX)
    with transaction.atomic():
        review = locks.review_for_update(review_id)
        if review.status == Review.Status.REJECTED:
            raise ReviewError(f"Review {review.pk} is rejected; it is not shown, so it "
                              "can't be answered.", code="rejected")
        review.reply = reply
        review.replied_at = timezone.now() if reply else None
        review.save(update_fields=["reply", "replied_at", "updated_at"])
        return review


def _subject_reviews(subject: Subject):
    from django.db.models import Q

    match = Q(pk__in=[])
    if subject.user is not None and getattr(subject.user, "pk", None):
        match |= Q(user_id=subject.user.pk)
    if subject.email_set:
        match |= Q(email__in=subject.email_set)
    return Review.objects.filter(match)


def export_reviews(subject: Subject) -> list[dict]:
    """The person's reviews, as they wrote them and as moderated, for a data download."""
    return [{"product": review.product.title, "rating": review.rating, "title": review.title,
             "review": review.body, "author_name": review.author_name,
             "status": review.status, "written_at": review.created_at.isoformat(),
             "shop_reply": review.reply}
            for review in _subject_reviews(subject).select_related("product").order_by("pk")]


def erase_reviews(subject: Subject) -> int:
    """Detach the person from their reviews.

    Published (approved) reviews stay, with the author shown as "A customer" and no link
    to the account, order line or email: the text and rating are the shop's record of the
    product, other shoppers rely on them, and the average must not shift because someone
    closed an account. Reviews never published (pending or rejected) are deleted: nobody
    relies on them. Returns how many reviews were touched.
    """
    with transaction.atomic():
        reviews = list(_subject_reviews(subject).select_for_update().order_by("pk"))
        kept = [review.pk for review in reviews if review.status == Review.Status.APPROVED]
        Review.objects.filter(pk__in=kept).update(
            user=None, order_line=None, email="", author_name=ANONYMOUS_AUTHOR,
            updated_at=timezone.now())
        Review.objects.filter(pk__in=[r.pk for r in reviews if r.pk not in kept]).delete()
        return len(reviews)
