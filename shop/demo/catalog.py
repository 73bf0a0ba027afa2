"""The demo catalog `make run` loads: categories, products with variants, stock in two
warehouses and product photos drawn with Pillow (nothing is downloaded).

Loading is idempotent: what exists (by slug, SKU or warehouse code) is left exactly as it
is, so running it twice changes nothing.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction

from catalog import services as catalog_services
from catalog.models import Category, Product
from inventory import services as inventory_services
from inventory.models import Warehouse
from shop.storefront.pages import seed_pages

from .photos import color_hex, draw_product_image, drawing_for

WAREHOUSES = [
    {"code": "east", "name": "East Coast DC", "city": "Newark", "postal_code": "07102",
     "address_line1": "200 Port St", "priority": 10, "allows_store_pickup": True},
    {"code": "west", "name": "West Coast DC", "city": "Reno", "postal_code": "89502",
     "address_line1": "55 Sierra Way", "priority": 20, "allows_store_pickup": False},
]


@dataclass
class DemoCategory:
    name: str
    slug: str
    description: str
    drawing: str
    colors: tuple[str, ...]
    parent: str | None = None
    products: list[tuple[str, str, str]] = field(default_factory=list)  # title, price, words
    options: dict[str, list[str]] = field(default_factory=dict)
    vendors: tuple[str, ...] = ("Northwind",)


CATEGORIES = [
    DemoCategory("Kitchen", "kitchen", "Pans, knives and tools that earn their drawer space.",
                 "pan", ("#c2410c", "#334155")),
    DemoCategory(
        "Cookware", "cookware", "Cast iron, carbon steel and stainless pans.", "pan",
        ("#7c2d12", "#1e293b", "#9a3412"), parent="kitchen",
        vendors=("Hearth & Iron", "Lodgepole"),
        options={"Size": ["20 cm", "24 cm", "28 cm"]},
        products=[
            ("Cast Iron Skillet", "39.00", "pre-seasoned skillet sears steak and bakes cornbread"),
            ("Carbon Steel Wok", "54.00", "light carbon steel wok for stir fry over high heat"),
            ("Enamelled Dutch Oven", "129.00", "enamelled cast iron pot for braises and bread"),
            ("Stainless Saute Pan", "79.00", "tri-ply stainless pan with a lid, oven safe"),
            ("Nonstick Omelette Pan", "34.00", "ceramic nonstick coating free of PFAS for eggs"),
            ("Copper Saucepan", "149.00", "hammered copper saucepan with a tin lining"),
            ("Grill Pan", "45.00", "ridged cast iron grill pan for indoor searing"),
            ("Roasting Tray", "42.00", "heavy roasting tray with a rack for poultry"),
        ],
    ),
    DemoCategory(
        "Knives", "knives", "Sharp, balanced knives and what keeps them that way.", "knife",
        ("#475569", "#0f172a", "#64748b"), parent="kitchen", vendors=("Sakai Forge", "Northwind"),
        products=[
            ("Chef's Knife 21 cm", "89.00", "high carbon steel chef knife with a walnut handle"),
            ("Santoku Knife", "74.00", "japanese santoku for slicing dicing and mincing"),
            ("Paring Knife", "24.00", "small paring knife for peeling and trimming fruit"),
            ("Bread Knife", "49.00", "serrated bread knife glides through crusty sourdough"),
            ("Whetstone 1000/6000", "38.00", "two sided whetstone for sharpening and honing"),
            ("Magnetic Knife Rack", "29.00", "oak magnetic strip keeps knives on the wall"),
            ("Boning Knife", "52.00", "flexible boning knife for fish and poultry"),
        ],
    ),
    DemoCategory("Outdoor", "outdoor", "Kit for trails, campsites and long weekends.", "mountain",
                 ("#166534", "#1e3a8a")),
    DemoCategory(
        "Camping", "camping", "Tents, stoves and lanterns for nights outside.", "tent",
        ("#15803d", "#b45309", "#0e7490"), parent="outdoor", vendors=("Ridgeline", "Campfire Co"),
        options={"Color": ["Forest", "Sand", "Slate"]},
        products=[
            ("Two Person Tent", "219.00", "lightweight backpacking tent with a waterproof fly"),
            ("Camp Stove", "64.00", "compact gas camp stove boils water in three minutes"),
            ("LED Lantern", "32.00", "rechargeable LED lantern with warm dimmable light"),
            ("Sleeping Bag -5C", "149.00", "down sleeping bag rated to minus five celsius"),
            ("Camp Chair", "58.00", "folding camp chair packs small with a cup holder"),
            ("Enamel Mug Set", "26.00", "set of four enamel mugs for coffee by the fire"),
            ("Hammock", "45.00", "parachute nylon hammock with tree straps"),
            ("Water Filter", "39.00", "squeeze water filter removes bacteria on the trail"),
        ],
    ),
    DemoCategory(
        "Hiking", "hiking", "Packs, poles and layers for the trail.", "mountain",
        ("#1d4ed8", "#166534", "#7c3aed"), parent="outdoor", vendors=("Ridgeline", "Summit Lab"),
        options={"Size": ["S", "M", "L"], "Color": ["Blue", "Olive"]},
        products=[
            ("Daypack 24L", "89.00", "ventilated daypack with a rain cover and hip belt"),
            ("Trekking Poles", "69.00", "carbon trekking poles with cork grips, collapsible"),
            ("Merino Base Layer", "75.00", "merino wool base layer that resists odour"),
            ("Rain Shell", "169.00", "breathable waterproof rain shell jacket with pit zips"),
            ("Hiking Socks", "18.00", "cushioned wool hiking socks that prevent blisters"),
            ("Trail Gaiters", "34.00", "low trail gaiters keep grit out of shoes"),
            ("Sun Hoodie", "59.00", "UPF 50 sun hoodie for desert hiking"),
        ],
    ),
    DemoCategory(
        "Apparel", "apparel", "Everyday clothes made to last.", "shirt",
        ("#be123c", "#1e40af", "#374151", "#a16207"),
        vendors=("Loom & Field", "Northwind"),
        options={"Size": ["XS", "S", "M", "L", "XL"], "Color": ["Navy", "Oat", "Charcoal"]},
        products=[
            ("Organic Cotton Tee", "28.00", "heavyweight organic cotton t-shirt, garment dyed"),
            ("Oxford Shirt", "68.00", "button down oxford cloth shirt that softens with wear"),
            ("Wool Sweater", "98.00", "lambswool crew neck sweater knitted in Scotland"),
            ("Canvas Work Jacket", "145.00", "waxed canvas chore jacket with four pockets"),
            ("Fleece Pullover", "72.00", "recycled fleece pullover with a kangaroo pocket"),
            ("Linen Shirt", "64.00", "breathable linen shirt for hot summer days"),
            ("Denim Jacket", "120.00", "selvedge denim trucker jacket, raw indigo"),
            ("Beanie", "24.00", "ribbed merino beanie for cold mornings"),
            ("Chino Trousers", "79.00", "stretch cotton chinos with a tapered leg"),
        ],
    ),
    DemoCategory(
        "Home", "home", "Light, linen and small comforts.", "lamp",
        ("#a16207", "#0f766e", "#9d174d"), vendors=("Lumen House", "Loom & Field"),
        options={"Color": ["White", "Black", "Brass"]},
        products=[
            ("Desk Lamp", "89.00", "adjustable desk lamp with a warm LED and brass arm"),
            ("Linen Duvet Cover", "159.00", "stonewashed linen duvet cover, queen size"),
            ("Wool Throw", "110.00", "herringbone wool throw blanket for the sofa"),
            ("Scented Candle", "32.00", "soy wax candle scented with cedar and fig"),
            ("Ceramic Vase", "46.00", "hand thrown ceramic vase with a matte glaze"),
            ("Pendant Light", "139.00", "spun aluminium pendant light for dining tables"),
            ("Cotton Bath Towel", "29.00", "long staple cotton bath towel, quick drying"),
            ("Wall Clock", "54.00", "silent wall clock with an oak frame"),
        ],
    ),
    DemoCategory(
        "Coffee & Tea", "coffee-tea", "Brewers, grinders and cups.", "mug",
        ("#78350f", "#44403c", "#065f46"), vendors=("Bean & Leaf", "Kettle Works"),
        products=[
            ("Pour Over Dripper", "28.00", "ceramic pour over coffee dripper for clean cups"),
            ("Burr Grinder", "139.00", "conical burr grinder with forty grind settings"),
            ("Gooseneck Kettle", "79.00", "gooseneck kettle with temperature control"),
            ("French Press", "39.00", "double wall stainless french press, one litre"),
            ("Stoneware Mug", "18.00", "speckled stoneware mug holds twelve ounces"),
            ("Loose Leaf Teapot", "45.00", "cast iron teapot with a fine mesh infuser"),
            ("Cold Brew Jar", "32.00", "glass cold brew coffee jar with a steel filter"),
            ("Espresso Cups", "36.00", "set of two porcelain espresso cups and saucers"),
        ],
    ),
    DemoCategory(
        "Bags", "bags", "Carry everything, comfortably.", "bag",
        ("#92400e", "#1f2937", "#3f6212"), vendors=("Carryall", "Northwind"),
        options={"Color": ["Tan", "Black", "Olive"]},
        products=[
            ("Leather Tote", "189.00", "full grain leather tote bag that ages beautifully"),
            ("Canvas Backpack", "95.00", "waxed canvas backpack with a padded laptop sleeve"),
            ("Weekender Duffel", "159.00", "weekender duffel bag with a shoe compartment"),
            ("Sling Bag", "48.00", "compact sling bag for phone keys and wallet"),
            ("Laptop Sleeve", "39.00", "felt laptop sleeve fits fourteen inch laptops"),
            ("Card Wallet", "35.00", "slim leather card wallet holds six cards"),
            ("Packing Cubes", "42.00", "set of three packing cubes for travel"),
        ],
    ),
    DemoCategory(
        "Stationery", "stationery", "Paper, pens and things for the desk.", "notebook",
        ("#1e3a8a", "#be185d", "#15803d"), vendors=("Paper Mill", "Northwind"),
        products=[
            ("Dot Grid Notebook", "22.00", "A5 dot grid notebook with fountain pen friendly paper"),
            ("Fountain Pen", "65.00", "brass fountain pen with a fine steel nib"),
            ("Desk Organiser", "48.00", "walnut desk organiser for pens and cards"),
            ("Weekly Planner", "26.00", "undated weekly planner with linen cover"),
            ("Gel Pen Set", "14.00", "set of ten gel pens in archival ink"),
            ("Leather Journal", "54.00", "refillable leather journal with a wrap tie"),
            ("Letter Set", "19.00", "cotton paper letter set with envelopes"),
        ],
    ),
]


@dataclass
class LoadReport:
    categories: int = 0
    warehouses: int = 0
    products: int = 0
    variants: int = 0
    images: int = 0
    pages: int = 0
    stock_movements: int = 0
    shipping_methods: int = 0
    tax_rates: int = 0
    vouchers: int = 0

    def __str__(self) -> str:
        return (
            f"{self.categories} categories, {self.warehouses} warehouses, {self.products} "
            f"products, {self.variants} variants, {self.images} images, "
            f"{self.stock_movements} stock receipts, {self.shipping_methods} shipping methods, "
            f"{self.tax_rates} tax rates, {self.vouchers} vouchers, {self.pages} shop pages "
            f"added"
        )


def load_demo_catalog(*, images: bool = True) -> LoadReport:
    """Create whatever part of the demo catalog is missing. Returns what was added."""
    report = LoadReport()
    warehouses = [_warehouse(spec, report) for spec in WAREHOUSES]
    categories: dict[str, Category] = {}
    for position, spec in enumerate(CATEGORIES):
        categories[spec.slug] = _category(spec, position, categories, report)
    for spec in CATEGORIES:
        for index, (title, price, words) in enumerate(spec.products):
            _product(spec, categories[spec.slug], index, title, Decimal(price), words,
                     warehouses, report, images=images)
    _checkout_setup(warehouses, report)
    report.pages = seed_pages()
    return report


# Shipping: flat and express in the US and Canada, weight tiers for Europe, free standard
# shipping above $75, pickup at the east coast store; US state sales tax and EU VAT.
SHIPPING_ZONES = [
    ("United States", "US", False, [
        {"name": "Standard", "kind": "flat", "price": "6.95", "free_above": "75.00",
         "min_delivery_days": 3, "max_delivery_days": 5, "position": 1},
        {"name": "Express", "kind": "flat", "price": "19.00",
         "min_delivery_days": 1, "max_delivery_days": 2, "position": 2},
        {"name": "Store pickup (Newark)", "kind": "pickup", "price": "0.00",
         "min_delivery_days": 0, "max_delivery_days": 1, "position": 3, "pickup": "east"},
    ]),
    ("Canada", "CA", False, [
        {"name": "Standard to Canada", "kind": "flat", "price": "14.00",
         "min_delivery_days": 5, "max_delivery_days": 9, "position": 1},
    ]),
    ("Europe", "AT,BE,DE,DK,ES,FI,FR,GB,IE,IT,NL,PL,PT,SE", False, [
        {"name": "International tracked", "kind": "weight", "price": "0.00",
         "min_delivery_days": 6, "max_delivery_days": 12, "position": 1,
         "tiers": [(1000, "18.00"), (5000, "32.00"), (20000, "59.00")]},
    ]),
]
TAX_RATES = [
    ("US", "CA", "Sales tax", "7.250"), ("US", "NY", "Sales tax", "4.000"),
    ("US", "WA", "Sales tax", "6.500"), ("US", "NJ", "Sales tax", "6.625"),
    ("CA", "", "GST", "5.000"), ("GB", "", "VAT", "20.000"), ("DE", "", "VAT", "19.000"),
    ("FR", "", "VAT", "20.000"), ("NL", "", "VAT", "21.000"), ("IE", "", "VAT", "23.000"),
]
VOUCHERS = [
    {"code": "WELCOME10", "kind": "percentage", "value": "10", "per_customer_limit": 1},
    {"code": "FREESHIP", "kind": "free_shipping", "value": "0", "min_subtotal": "40.00"},
    {"code": "TAKE15", "kind": "fixed", "value": "15.00", "min_subtotal": "100.00",
     "usage_limit": 500},
]


def _checkout_setup(warehouses: list[Warehouse], report: LoadReport) -> None:
    from orders.models import ShippingMethod, ShippingWeightTier, ShippingZone, TaxRate, Voucher

    by_code = {warehouse.code: warehouse for warehouse in warehouses}
    for name, countries, rest_of_world, methods in SHIPPING_ZONES:
        zone, _ = ShippingZone.objects.get_or_create(
            name=name, defaults={"countries": countries, "rest_of_world": rest_of_world})
        for spec in methods:
            spec = dict(spec)
            tiers = spec.pop("tiers", [])
            pickup = spec.pop("pickup", None)
            for key in ("price", "free_above"):
                if key in spec:
                    spec[key] = Decimal(spec[key])
            method, created = ShippingMethod.objects.get_or_create(
                zone=zone, name=spec.pop("name"),
                defaults={**spec, "pickup_warehouse": by_code.get(pickup)})
            report.shipping_methods += created
            for up_to, price in tiers:
                ShippingWeightTier.objects.get_or_create(
                    method=method, up_to_grams=up_to, defaults={"price": Decimal(price)})
    for country, region, label, rate in TAX_RATES:
        _, created = TaxRate.objects.get_or_create(
            country=country, region=region, defaults={"name": label, "rate": Decimal(rate)})
        report.tax_rates += created
    from fulfillment.models import CourierRate, CourierZone

    for name, prefixes, days, rates in [("Courier: New York metro", "070,071,100,101,102,112", 1,
                                         [(2000, "6.00"), (10000, "11.00"), (30000, "19.00")]),
                                        ("Courier: rest of the US", "", 3,
                                         [(2000, "8.50"), (10000, "14.00"), (30000, "26.00")])]:
        zone, _ = CourierZone.objects.get_or_create(
            name=name, defaults={"country": "US", "postal_prefixes": prefixes,
                                 "transit_days": days})
        for up_to, price in rates:
            CourierRate.objects.get_or_create(zone=zone, up_to_grams=up_to,
                                              defaults={"price": Decimal(price)})
    for spec in VOUCHERS:
        spec = dict(spec)
        for key in ("value", "min_subtotal"):
            if key in spec:
                spec[key] = Decimal(spec[key])
        _, created = Voucher.objects.get_or_create(code=spec.pop("code"), defaults=spec)
        report.vouchers += created


def _warehouse(spec: dict, report: LoadReport) -> Warehouse:
    warehouse, created = Warehouse.objects.get_or_create(code=spec["code"], defaults=spec)
    report.warehouses += created
    return warehouse


def _category(spec: DemoCategory, position: int, known: dict[str, Category],
              report: LoadReport) -> Category:
    existing = Category.objects.filter(slug=spec.slug).first()
    if existing:
        return existing
    report.categories += 1
    return catalog_services.create_category(
        name=spec.name, slug=spec.slug, description=spec.description,
        parent=known.get(spec.parent) if spec.parent else None, position=position,
    )


def _product(spec: DemoCategory, category: Category, index: int, title: str, price: Decimal,
             words: str, warehouses: list[Warehouse], report: LoadReport, *, images: bool) -> None:
    from django.utils.text import slugify

    slug = slugify(title)
    if Product.objects.filter(slug=slug).exists():
        return
    rng = random.Random(slug)  # same catalog on every machine
    with transaction.atomic():
        product = catalog_services.save_product(product=Product(
            title=title, slug=slug, category=category,
            description=(
                f"<p>{title}: {words}.</p>"
                f"<ul><li>Made by {spec.vendors[index % len(spec.vendors)]}</li>"
                f"<li>Two-year warranty</li><li>Free returns within 30 days</li></ul>"
            ),
            vendor=spec.vendors[index % len(spec.vendors)],
            product_type=spec.name,
            tags=", ".join([spec.slug.replace("-", " "), *words.split()[:2]]),
            is_published=True,
            is_featured=index == 0,
            seo_description=f"{title}: {words}."[:160],
        ))
        report.products += 1
        combos = _option_combinations(spec.options, rng)
        for number, options in enumerate(combos):
            step = Decimal(number % 3) * Decimal("5.00") if "Size" in options else Decimal(0)
            on_sale = index % 4 == 1
            variant = catalog_services.save_variant(
                product=product,
                sku=f"{slug[:20].upper()}-{number + 1:02d}",
                barcode=f"0{rng.randrange(10**11, 10**12)}",
                price=price + step,
                compare_at_price=(price + step) * Decimal("1.25") if on_sale else None,
                options=options,
                weight_grams=rng.randrange(150, 4000, 50),
                position=number,
            )
            report.variants += 1
            for warehouse in warehouses:
                # Some variants sell out or run low so every availability state shows.
                quantity = rng.choice([0, 2, 3, 8, 12, 20, 35]) if (number + index) % 5 else 0
                if quantity:
                    inventory_services.receive_stock(
                        variant=variant, warehouse=warehouse, quantity=quantity,
                        reference="demo-catalog", reason="Opening stock for the demo catalog",
                    )
                    report.stock_movements += 1
        if images:
            for number, (content, alt_text) in enumerate(product_photos(spec, title, combos,
                                                                        rng)):
                catalog_services.add_product_image(
                    product=product, content=content, filename=f"{slug}-{number + 1}.jpg",
                    alt_text=alt_text,
                )
                report.images += 1


def product_photos(spec: DemoCategory, title: str, combos: list[dict],
                   rng: random.Random) -> list[tuple[bytes, str]]:
    """(PNG, alt text) for a product: drawn as what its title says it is (a beanie as a
    beanie, not the category's T-shirt), a front view in each of its colours (a Navy
    variant's photo is navy) and one detail shot."""
    drawing = drawing_for(title, spec.drawing)
    named = list(dict.fromkeys(combo["Color"] for combo in combos if "Color" in combo))
    colored = [(name, color_hex(name)) for name in named if color_hex(name)]
    if not colored:
        return [(draw_product_image(title, drawing, spec.colors, 0, rng), f"{title}, front view"),
                (draw_product_image(title, drawing, spec.colors, 1, rng), f"{title}, detail")]
    photos = [(draw_product_image(title, drawing, (hex_value,), 0, rng), f"{title} in {name}")
              for name, hex_value in colored]
    name, hex_value = colored[0]
    photos.append((draw_product_image(title, drawing, (hex_value,), 1, rng),
                   f"{title} in {name}, detail"))
    return photos


def _option_combinations(options: dict[str, list[str]], rng: random.Random) -> list[dict]:
    combos: list[dict] = [{}]
    for name, values in options.items():
        chosen = values if len(values) <= 3 else values[: rng.randrange(3, len(values) + 1)]
        combos = [{**combo, name: value} for combo in combos for value in chosen]
    return combos[:12]
