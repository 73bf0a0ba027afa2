"""The shop's pages: the seeded set, the footer's links, and their writes.

The footer is on every storefront page, whose SQL query counts are fixed, so its links are
read from the cache and never from the database while a page is drawn: a save or delete
writes the new list into the cache, the page view refills it when it was lost, and until
then the footer shows the seeded pages' links.
"""

from __future__ import annotations

from django.conf import settings
from django.db import transaction

from kernel import best_effort_cache

from .models import Page

FOOTER_KEY = "storefront:footer-pages"

# slug, title, footer label, body ({shop} is the shop's name, {days} its return window).
# "contact" holds the phone and post: the footer's one "Contact us" link is the contact
# form, whose page links to this one (templates/base.html leaves it out of the footer).
DEFAULT_PAGES = [
    ("contact", "Contact us", "Contact",
     "We are real people and we answer every message within one working day.\n\n"
     "Email: help@example.com\n"
     "Phone: +1 503 555 0142 (Monday to Friday, 9:00 to 17:00 Pacific time)\n\n"
     "Post: {shop}, 200 Port St, Newark NJ 07114, United States\n\n"
     "Have your order number at hand: it is in your confirmation email and on your "
     "account's order page."),
    ("shipping", "Shipping", "Shipping",
     "We ship from our own warehouses on working days. Checkout shows each shipping "
     "method's price and delivery window for your address before you pay, and your "
     "confirmation email repeats the promised dates.\n\n"
     "You get a tracking link by email as soon as a parcel leaves us. If an order ships in "
     "more than one parcel, each has its own tracking link."),
    ("returns", "Returns and exchanges", "Returns",
     "Changed your mind? Return anything unused within {days} days of delivery for a "
     "refund or an exchange for another size or colour that is in stock. Items marked "
     "final sale can't be returned.\n\n"
     "Start a return from your order page (your account, or the link in your order email). "
     "We refund to your original payment method within five working days of receiving "
     "the parcel."),
    ("privacy", "Privacy", "Privacy",
     "{shop} collects only what it needs to take and deliver your order: your name, "
     "email, addresses and what you bought. Card details go straight to our payment "
     "provider; we never see or store them.\n\n"
     "We don't sell your data. We share your address with the carrier that delivers your "
     "parcel, and nothing more. To download or delete what we hold about you, use Request "
     "your data (below, or Your account > Your data); for anything else, Contact us."),
    ("terms", "Terms of sale", "Terms",
     "Prices are in the shop's currency and include what the checkout says. The contract "
     "is made when we confirm your payment; if an item turns out to be out of stock we "
     "tell you at once and refund it or offer a substitute.\n\n"
     "Our returns policy (see Returns) is in addition to your rights under the law."),
]


def seed_pages(page_model=Page) -> int:
    """Create the default pages that are missing (never overwrite staff's edits). Returns
    how many were created. ``page_model`` lets a data migration pass its historical model."""
    created = 0
    for position, (slug, title, label, body) in enumerate(DEFAULT_PAGES):
        text = body.format(shop=settings.SHOP_NAME, days=settings.SHOP_RETURN_WINDOW_DAYS)
        _, made = page_model.objects.get_or_create(
            slug=slug, defaults={"title": title, "footer_label": label, "body": text,
                                 "position": position})
        created += made
    if created and page_model is Page:
        transaction.on_commit(refresh_footer)
    return created


def _read_footer() -> list[tuple[str, str]]:
    return [(page.slug, page.link_text) for page in
            Page.objects.filter(in_footer=True, is_published=True).order_by("position", "pk")]


def refresh_footer() -> list[tuple[str, str]]:
    links = _read_footer()
    best_effort_cache.set(FOOTER_KEY, links, timeout=None)
    return links


def footer_links() -> list[tuple[str, str]]:
    """(slug, link text) of the footer's pages, from the cache: no query."""
    links = best_effort_cache.get(FOOTER_KEY)
    if links is None:
        return [(slug, label) for slug, _, label, _ in DEFAULT_PAGES]
    return links


def published_page(slug: str) -> Page | None:
    if best_effort_cache.get(FOOTER_KEY) is None:
        refresh_footer()
    return Page.objects.filter(slug=slug, is_published=True).first()


def save_page(*, page: Page) -> Page:
    with transaction.atomic():
        page.full_clean()
        page.save()
        transaction.on_commit(refresh_footer)
    return page


def delete_page(*, page: Page) -> None:
    with transaction.atomic():
        page.delete()
        transaction.on_commit(refresh_footer)
