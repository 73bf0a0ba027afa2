"""The demo catalog's reviews: a few approved reviews on the first products of each
category, so product pages show reviews and stars and cards show the rating as soon as
`make run` has loaded the shop. Brought in with ``reviews.services.import_review`` (the
demo has no real buyers to invite); the same texts on every machine."""

from __future__ import annotations

import random

from catalog.models import Product
from reviews import services as review_services
from reviews.models import Review

from .catalog import CATEGORIES

AUTHORS = ["Maya R.", "Tom K.", "Priya S.", "Jonas W.", "Elena G.", "Sam O.", "Aiko T.",
           "Luis M.", "Grace H.", "Noah B."]
# rating, title, body ({title} is the product's name).
TEXTS = [
    (5, "Exactly as described", "The {title} arrived well packed and is better made than I "
                                "expected. Using it every day."),
    (5, "Worth every cent", "Bought the {title} as a gift and ended up ordering one for "
                            "myself. Solid and well finished."),
    (4, "Very good, one small niggle", "I like the {title} a lot. It took a few days to "
                                       "get used to, but it does the job well."),
    (4, "Good value", "Does what it says. The {title} feels sturdy and shipping was quick."),
    (3, "Fine, not amazing", "The {title} is decent for the price, though I hoped for a "
                             "little more attention to detail."),
]
REPLY = "Thank you for the kind words! We're glad it earns its place."
PRODUCTS_PER_CATEGORY = 2


def load_demo_reviews() -> int:
    """Approved reviews on the first products of each category that have none yet.
    Returns how many were added (0 when run again)."""
    added = 0
    for spec in CATEGORIES:
        for title, _, _ in spec.products[:PRODUCTS_PER_CATEGORY]:
            product = Product.objects.filter(title=title).only("pk").first()
            if product is None or Review.objects.filter(product=product).exists():
                continue
            rng = random.Random(title)  # same reviews on every machine
            for position, index in enumerate(rng.sample(range(len(TEXTS)), rng.randint(2, 4))):
                rating, heading, body = TEXTS[index]
                review_services.import_review(
                    product_id=product.pk, rating=rating, title=heading,
                    body=body.format(title=title), author_name=rng.choice(AUTHORS),
                    reply=REPLY if position == 0 and rating == 5 else "")
                added += 1
    return added
