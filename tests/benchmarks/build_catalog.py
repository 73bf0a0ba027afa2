"""Build the benchmark catalog: N products (default 10,000) in a dedicated bench database.

    DATABASE_URL=postgres://.../storefront_bench python tests/benchmarks/build_catalog.py \
        --products 10000 --manifest /tmp/manifest.json

`run_catalog_bench.py` runs this after creating and migrating the bench database. It refuses
to touch a database whose name does not end in ``_bench`` or that already holds products.

Rows are written with ``bulk_create``, not through ``catalog.services`` /
``inventory.services`` one row at a time: the services are exercised by the test suite, here
we need volume in well under two minutes. What the services would guarantee is kept by hand:
category paths (the 12 categories do go through ``create_category``), sanitised descriptions
with their plain-text copy, one variant per option combination, Decimal prices, and a
receipt ``StockMovement`` for every unit on hand so the stock ledger sums to ``on_hand``
(checked at the end). The manifest written with ``--manifest`` tells the harness which URLs to
request: the big category, product slugs and search words with their hit counts.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import random
import sys
import time
from decimal import Decimal
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]

# (name, slug, parent slug, share of products: leaves only, description)
CATEGORIES = [
    ("Kitchen", "kitchen", None, 0, "Pans, knives and tableware that earn their space."),
    ("Cookware", "cookware", "kitchen", 10, "Cast iron, carbon steel and stainless pans."),
    ("Knives", "knives", "kitchen", 7, "Forged and stamped blades for every job."),
    ("Tableware", "tableware", "kitchen", 8, "Plates, bowls and mugs for every day."),
    ("Outdoor", "outdoor", None, 0, "Tents, stoves, packs and lanterns for nights outside."),
    ("Camping", "camping", "outdoor", 15, "Shelter, light and a warm meal at camp."),
    ("Hiking", "hiking", "outdoor", 12, "Packs, poles and bottles for long days on foot."),
    ("Trail Running", "trail-running", "hiking", 8, "Light kit for fast miles."),
    ("Clothing", "clothing", None, 0, "Layers that work in town and on the trail."),
    ("Jackets", "jackets", "clothing", 10, "Shells, insulation and rain gear."),
    ("Shirts", "shirts", "clothing", 12, "Tees, flannels and base layers."),
    ("Home", "home", None, 18, "Blankets, lamps and storage for the house."),
]
BENCH_CATEGORY = "outdoor"  # the category page the bench requests: a third of the catalog

NOUNS = {
    "cookware": ["Skillet", "Wok", "Dutch Oven", "Saucepan", "Griddle", "Roasting Tray",
                 "Stockpot", "Frying Pan", "Casserole", "Steamer"],
    "knives": ["Chef Knife", "Paring Knife", "Bread Knife", "Cleaver", "Santoku",
               "Utility Knife", "Boning Knife", "Knife Roll", "Honing Rod", "Whetstone"],
    "tableware": ["Plate", "Bowl", "Mug", "Platter", "Tumbler", "Pitcher", "Teapot",
                  "Serving Board", "Salad Bowl", "Espresso Cup"],
    "camping": ["Lantern", "Tent", "Stove", "Sleeping Bag", "Camp Chair", "Tarp",
                "Cook Set", "Hammock", "Headlamp", "Cooler"],
    "hiking": ["Daypack", "Trekking Poles", "Water Bottle", "Backpack", "Map Case",
               "Gaiters", "Hip Belt", "Trail Kit", "Rain Cover", "Compass"],
    "trail-running": ["Running Vest", "Soft Flask", "Race Belt", "Visor", "Running Cap",
                      "Arm Sleeves", "Trail Socks", "Waist Pack", "Wind Shell", "Bottle Holster"],
    "jackets": ["Rain Jacket", "Down Jacket", "Fleece", "Softshell", "Parka", "Anorak",
                "Vest", "Insulated Hoodie", "Wind Jacket", "Field Coat"],
    "shirts": ["Tee", "Flannel Shirt", "Base Layer", "Henley", "Polo", "Oxford Shirt",
               "Long Sleeve Tee", "Work Shirt", "Linen Shirt", "Sun Shirt"],
    "home": ["Blanket", "Table Lamp", "Storage Basket", "Cushion", "Throw", "Candle",
             "Doormat", "Wall Hook", "Planter", "Bookend"],
}
OPTIONS = {
    "cookware": {"Size": ["20 cm", "24 cm", "28 cm", "32 cm"]},
    "knives": {"Blade": ["12 cm", "15 cm", "20 cm", "24 cm"],
               "Handle": ["Walnut", "Olive", "Black"]},
    "tableware": {"Color": ["White", "Slate", "Sand", "Sage", "Blue"]},
    "camping": {"Color": ["Black", "Green", "Orange", "Blue"], "Size": ["S", "M", "L"]},
    "hiking": {"Size": ["S", "M", "L", "XL"], "Color": ["Black", "Blue", "Green", "Red"]},
    "trail-running": {"Size": ["XS", "S", "M", "L", "XL"], "Color": ["Black", "Orange", "Blue"]},
    "jackets": {"Size": ["XS", "S", "M", "L", "XL", "XXL"], "Color": ["Black", "Navy", "Olive"]},
    "shirts": {"Size": ["XS", "S", "M", "L", "XL", "XXL"],
               "Color": ["White", "Grey", "Blue", "Red"]},
    "home": {"Finish": ["Matte", "Natural", "Polished"], "Color": ["Oat", "Charcoal", "Rust"]},
}
ADJECTIVES = ["Sturdy", "Compact", "Everyday", "Alpine", "Classic", "Rugged", "Minimal",
              "Heritage", "Coastal", "Summit", "Prairie", "Harbor", "Midnight", "Northern",
              "Field", "Urban", "Canyon", "Glacier", "Meadow", "Timber", "Ember", "Atlas",
              "Pioneer", "Ridge", "Basin", "Delta", "Cascade", "Juniper", "Granite", "Willow"]
MATERIALS = ["Cedar", "Walnut", "Oak", "Bamboo", "Canvas", "Leather", "Wool", "Linen",
             "Cotton", "Steel", "Copper", "Brass", "Titanium", "Aluminium", "Ceramic",
             "Stoneware", "Nylon", "Hemp", "Cork", "Slate"]
# Each product gets three of these in its description, so each word is in about 5% of
# products: a search for one hits a few hundred products of 10,000.
FEATURES = ["waterproof", "lightweight", "insulated", "packable", "durable", "breathable",
            "handmade", "recycled", "foldable", "ergonomic", "rechargeable", "adjustable",
            "reversible", "stackable", "compostable", "windproof", "reflective", "magnetic",
            "modular", "ventilated", "cordless", "seamless", "quilted", "rustproof", "heirloom",
            "organic", "washable", "antimicrobial", "collapsible", "portable", "forged",
            "glazed", "tempered", "padded", "waxed", "brushed", "riveted", "hooded", "zippered",
            "ribbed", "knitted", "woven", "embossed", "engraved", "hinged", "lockable",
            "dimmable", "solar", "thermal", "roomy", "balanced", "nonstick", "enamelled",
            "stretchy", "weatherproof", "shockproof", "buttery", "hammered", "oiled", "tapered"]
SENTENCES = [
    "Built to be used every day and repaired rather than replaced.",
    "Our team tested it for a full season before it went on sale.",
    "Wipe clean with a damp cloth and let it dry in the air.",
    "Made in a small workshop that has supplied us for years.",
    "Covered by our lifetime guarantee against defects in materials and workmanship.",
    "Pairs well with the rest of the range for a matching set.",
    "Ships in plastic-free packaging from our own warehouses.",
    "Every batch is checked by hand before it leaves the bench.",
    "A favourite with customers who like simple, honest tools.",
    "Small marks from the making process are part of its character.",
    "Fits neatly in a drawer, a pack or the boot of a car.",
    "Designed with feedback from guides, cooks and gardeners.",
    "Spare parts are available for as long as we sell it.",
    "Returns are free within sixty days if it is not right for you.",
]
VENDORS = ["Hearth & Iron", "Lodgepole", "Northwind", "Fjellkit", "Saltmarsh", "Kiln & Co",
           "Bramble", "Ironbark", "Tidewater", "Copperleaf", "Greywolf", "Old Mill",
           "Larchwood", "Bluestem", "Redpine", "Foxglove", "Stonecrop", "Ashgrove",
           "Birchline", "Driftwood", "Marram", "Heathland", "Blackthorn", "Cobble", "Sorrel"]
WAREHOUSES = [
    {"code": "bench-east", "name": "Bench East", "city": "Newark", "priority": 10},
    {"code": "bench-west", "name": "Bench West", "city": "Reno", "priority": 20},
]
# Fixed queries (stable URLs across runs); their hit counts go into the manifest.
SEARCH_QUERIES = ["waterproof", "lantern", "cedar", "insulated", "recycled", "forged",
                  "wool blanket", "handmade"]
BATCH = 2000


def _setup_django() -> None:
    if str(REPO_ROOT) not in sys.path:
        sys.path.insert(0, str(REPO_ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.benchmarks.bench_settings")
    import django

    django.setup()


def _check_target_database() -> None:
    from django.db import connection

    from catalog.models import Product

    name = Path(str(connection.settings_dict["NAME"])).name
    stem = name.rsplit(".", 1)[0] if connection.vendor == "sqlite" else name
    if not stem.endswith("_bench"):
        raise SystemExit(f"Refusing to build the bench catalog in {name!r}: "
                         "the database name must end in '_bench'.")
    if Product.objects.exists():
        raise SystemExit(f"Refusing to build the bench catalog: {name!r} already has products "
                         "(run_catalog_bench.py recreates the database first).")


def _price(rng: random.Random) -> Decimal:
    dollars = rng.choice([rng.randint(5, 60), rng.randint(20, 150), rng.randint(50, 400)])
    return Decimal(dollars) + rng.choice([Decimal("0.00"), Decimal("0.50"), Decimal("0.99")])


def build(*, products: int, seed: int = 1) -> dict:
    """Write the catalog; return counts and timings (the database must be empty)."""
    from django.db import connection, transaction

    from catalog import services as catalog_services
    from catalog.models import (
        OptionValue,
        Product,
        ProductOption,
        Variant,
        description_plain_text,
        sanitise_description,
    )
    from inventory.models import StockLevel, StockMovement, Warehouse

    rng = random.Random(seed)
    timings: dict[str, float] = {}
    started = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal started
        now = time.perf_counter()
        timings[name] = round(now - started, 2)
        started = now

    with transaction.atomic():
        warehouses = Warehouse.objects.bulk_create(Warehouse(**row) for row in WAREHOUSES)
        # Twelve rows: the real service, so paths and depths are exactly what it writes.
        categories = {}
        for position, (name, slug, parent, _, description) in enumerate(CATEGORIES):
            categories[slug] = catalog_services.create_category(
                name=name, slug=slug, parent=categories.get(parent), description=description,
                position=position,
            )
        leaves = [(slug, share) for _, slug, _, share, _ in CATEGORIES if share]
        leaf_slugs = [slug for slug, _ in leaves]
        leaf_weights = [share for _, share in leaves]
        lap("categories")

        product_rows, plans = [], []
        for index in range(products):
            leaf = rng.choices(leaf_slugs, leaf_weights)[0]
            material, noun = rng.choice(MATERIALS), rng.choice(NOUNS[leaf])
            title = f"{rng.choice(ADJECTIVES)} {material} {noun}"
            features = rng.sample(FEATURES, 3)
            description = sanitise_description(
                f"<p>The {title} is a {features[0]} {noun.lower()} in {material.lower()}. "
                f"It is {features[1]} and {features[2]}.</p>"
                f"<p>{' '.join(rng.sample(SENTENCES, rng.randint(2, 4)))}</p>"
                f"<ul><li>{material} construction</li><li>{features[1].capitalize()}</li>"
                f"<li>Model {index + 1:05d}</li></ul>"
            )
            product_rows.append(Product(
                title=title,
                slug=f"{title.lower().replace(' ', '-').replace('&', 'and')}-{index + 1:05d}",
                category=categories[leaf],
                description=description,
                # bulk_create skips Product.save(): keep its plain-text copy here.
                description_text=description_plain_text(description),
                vendor=rng.choice(VENDORS),
                product_type=noun,
                tags=", ".join([material.lower(), features[0], leaf.replace("-", " ")]),
                is_published=rng.random() < 0.97,
                is_featured=rng.random() < 0.05,
            ))
            plans.append(leaf)
        Product.objects.bulk_create(product_rows, batch_size=BATCH)
        assert all(row.pk for row in product_rows), "bulk_create returned no primary keys"
        lap("products")

        # Options, values and variants: 1-3 variants, each a distinct combination.
        option_rows, value_rows, variant_specs = [], [], []
        for product, leaf in zip(product_rows, plans, strict=True):
            count = rng.choices([1, 2, 3], [40, 30, 30])[0]
            dimensions = OPTIONS[leaf]
            if count == 1 and rng.random() < 0.5:
                variant_specs.append((product, [()]))
                continue
            names = list(dimensions)
            names = names[:2] if len(names) > 1 and rng.random() < 0.4 else [rng.choice(names)]
            combos = list(itertools.product(*(dimensions[name] for name in names)))
            chosen = rng.sample(combos, min(count, len(combos)))
            per_option = []
            for position, name in enumerate(names, start=1):
                option = ProductOption(product=product, name=name, position=position)
                option_rows.append(option)
                used = sorted({combo[position - 1] for combo in chosen},
                              key=dimensions[name].index)
                values = {value: OptionValue(option=option, value=value, position=order)
                          for order, value in enumerate(used)}
                value_rows.extend(values.values())
                per_option.append(values)
            variant_specs.append((product, [
                tuple(per_option[i][value] for i, value in enumerate(combo)) for combo in chosen
            ]))
        ProductOption.objects.bulk_create(option_rows, batch_size=BATCH)
        for value in value_rows:
            value.option_id = value.option.pk
        OptionValue.objects.bulk_create(value_rows, batch_size=BATCH)

        variant_rows, links = [], []
        for product, combos in variant_specs:
            for position, combo in enumerate(combos):
                price = _price(rng)
                variant = Variant(
                    product=product,
                    sku=f"BN-{product.pk:06d}-{position + 1}",
                    title=" / ".join(value.value for value in combo),
                    price=price,
                    compare_at_price=(price * Decimal("1.25")).quantize(Decimal("0.01"))
                    if rng.random() < 0.15 else None,
                    weight_grams=rng.randint(50, 5000),
                    position=position,
                )
                variant_rows.append(variant)
                links.extend((variant, value) for value in combo)
        Variant.objects.bulk_create(variant_rows, batch_size=BATCH)
        Through = Variant.option_values.through
        Through.objects.bulk_create(
            (Through(variant_id=variant.pk, optionvalue_id=value.pk) for variant, value in links),
            batch_size=BATCH,
        )
        lap("options_and_variants")

        # Stock in both warehouses, each unit on hand received through the ledger.
        levels = []
        for variant in variant_rows:
            for warehouse in warehouses:
                on_hand = 0 if rng.random() < 0.15 else rng.randint(1, 80)
                levels.append(StockLevel(variant=variant, warehouse=warehouse, on_hand=on_hand))
        StockLevel.objects.bulk_create(levels, batch_size=BATCH)
        StockMovement.objects.bulk_create(
            (StockMovement(stock_level=level, kind=StockMovement.Kind.RECEIPT,
                           quantity=level.on_hand, on_hand_after=level.on_hand,
                           reason="Benchmark catalog build", reference="BENCH-BUILD")
             for level in levels if level.on_hand),
            batch_size=BATCH,
        )
        lap("stock")

    indexed = catalog_services.refresh_search_vectors()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")  # fresh statistics after a bulk load, as autovacuum would
    lap("search_vectors_and_analyze")

    return {
        "counts": {
            "categories": len(categories),
            "products": len(product_rows),
            "published": sum(row.is_published for row in product_rows),
            "featured": sum(row.is_featured for row in product_rows),
            "options": len(option_rows),
            "option_values": len(value_rows),
            "variants": len(variant_rows),
            "variant_option_links": len(links),
            "stock_levels": len(levels),
            "stock_movements": sum(1 for level in levels if level.on_hand),
            "search_vectors": indexed,
        },
        "seconds": timings,
    }


def describe(*, sample_products: int = 2000, seed: int = 1) -> dict:
    """What the harness requests: categories, product slugs, search words, with sizes."""
    from django.conf import settings
    from django.db import connection

    from catalog import selectors as catalog_selectors
    from catalog.models import Category
    from inventory.selectors import stock_ledger_mismatches
    from shop.storefront import selectors

    listing = selectors.storefront_products()
    categories = []
    for category in Category.objects.order_by("path"):
        subtree = Category.objects.filter(path__startswith=category.path)
        categories.append({
            "slug": category.slug, "name": category.name, "path": category.path,
            "depth": category.depth,
            "listed_products": listing.filter(category__in=subtree).count(),
        })
    slugs = sorted(listing.values_list("slug", flat=True))
    random.Random(seed).shuffle(slugs)
    search = [{"q": q, "hits": catalog_selectors.search_products(listing, q).count()}
              for q in SEARCH_QUERIES]
    mismatches = stock_ledger_mismatches()
    if mismatches:
        raise SystemExit(f"Stock ledger does not match on hand: {mismatches[:3]}")
    server_version = None
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            server_version = cursor.fetchone()[0]
    return {
        "database": {"vendor": connection.vendor,
                     "name": str(connection.settings_dict["NAME"]),
                     "server_version": server_version},
        "django_settings": {
            "module": os.environ["DJANGO_SETTINGS_MODULE"],
            "DEBUG": settings.DEBUG,
            "CONN_MAX_AGE": settings.DATABASES["default"].get("CONN_MAX_AGE"),
            "CACHES": settings.CACHES["default"]["BACKEND"],
            "staticfiles_storage": settings.STORAGES["staticfiles"]["BACKEND"],
            "SHOP_PRODUCTS_PER_PAGE": settings.SHOP_PRODUCTS_PER_PAGE,
        },
        "bench_category": BENCH_CATEGORY,
        "categories": categories,
        "listed_products": len(slugs),
        "product_slugs": slugs[:sample_products],
        "search": search,
        "stock_ledger_consistent": True,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--products", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--manifest", type=Path, help="write what was built, as JSON, here")
    args = parser.parse_args(argv)
    _setup_django()
    _check_target_database()
    started = time.perf_counter()
    manifest = build(products=args.products, seed=args.seed)
    manifest.update(describe(seed=args.seed))
    manifest["seconds"]["total"] = round(time.perf_counter() - started, 2)
    counts = manifest["counts"]
    print(f"Built {counts['products']:,} products, {counts['variants']:,} variants, "
          f"{counts['stock_levels']:,} stock levels in {manifest['seconds']['total']} s "
          f"({manifest['database']['vendor']}: {manifest['database']['name']}).")
    if args.manifest:
        args.manifest.write_text(json.dumps(manifest, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
