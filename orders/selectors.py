"""Read-side queries for carts, checkout and orders, each a fixed number of SQL queries."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import router
from django.db.models import Count, Prefetch, Q, QuerySet, prefetch_related_objects
from django.utils import timezone

from catalog.models import ProductImage
from inventory.models import StockLevel
from inventory.selectors import (
    available_from_levels,
    joined_level_columns,
    sellable_level_from_row,
)
from kernel.money import Money
from kernel.prepared import PreparedRead

from .checkout_rates import checkout_rates
from .countries import country_name
from .delivery_promise import add_business_days, ship_day, shipping_warehouses
from .models import (
    Cart,
    CartLine,
    Order,
    OrderEvent,
    OrderLine,
    ShippingMethod,
    Voucher,
)
from .pricing import ZERO, Totals, compute_totals, discount_for


@dataclass
class CartItem:
    line: CartLine
    available: int

    @property
    def variant(self):
        return self.line.variant

    @property
    def product(self):
        return self.line.variant.product

    @property
    def quantity(self) -> int:
        return self.line.quantity

    @property
    def unit_price(self) -> Money:
        return Money(self.variant.price, self.variant.currency)

    @property
    def line_total(self) -> Money:
        return self.unit_price * self.quantity

    @property
    def image(self):
        images = self.product.card_images
        return images[0] if images else None

    @property
    def problem(self) -> str:
        """Why this line can't be bought as it is, or an empty string."""
        if not (self.variant.is_active and self.product.is_published):
            return "No longer sold. Remove it to check out."
        if self.available <= 0:
            return "Out of stock. Remove it to check out."
        if self.quantity > self.available:
            return f"Only {self.available} left. Lower the quantity to check out."
        return ""


@dataclass(frozen=True)
class ShippingOption:
    method: ShippingMethod
    price: Decimal
    currency: str
    delivery_earliest: date
    delivery_latest: date

    @property
    def money(self) -> Money:
        return Money(self.price, self.currency)

    @property
    def pk(self) -> int:
        return self.method.pk

    @property
    def window(self) -> str:
        if self.delivery_earliest == self.delivery_latest:
            return self.delivery_earliest.strftime("%a %b %-d")
        return (f"{self.delivery_earliest.strftime('%a %b %-d')} – "
                f"{self.delivery_latest.strftime('%a %b %-d')}")

    @property
    def label(self) -> str:
        verb = "Ready for pickup" if self.method.is_pickup else "Arrives"
        return f"{self.method.name}: {self.money if self.price else 'Free'} · {verb} {self.window}"


@dataclass
class CheckoutView:
    """Everything the cart page, the checkout steps, the API and order placement need to
    know about a cart, computed in a fixed number of queries."""

    cart: Cart
    items: list[CartItem]
    shipping_options: list[ShippingOption] = field(default_factory=list)
    shipping: ShippingOption | None = None
    totals: Totals | None = None
    tax_rate: Decimal = ZERO
    voucher_problem: str = ""
    estimate_country: str = ""
    stock_levels: list = field(default_factory=list, repr=False)

    @property
    def quantity(self) -> int:
        return sum(item.quantity for item in self.items)

    @property
    def weight_grams(self) -> int:
        return sum(item.variant.weight_grams * item.quantity for item in self.items)

    @property
    def currency(self) -> str:
        return self.cart.currency

    @property
    def subtotal(self) -> Money:
        return Money(sum((item.line_total.amount for item in self.items), ZERO), self.currency)

    @property
    def problems(self) -> list[str]:
        return [f"{item.product.title}: {item.problem}" for item in self.items if item.problem]

    @property
    def cheapest_shipping(self) -> ShippingOption | None:
        return min(self.shipping_options, key=lambda option: option.price, default=None)

    @property
    def estimate_country_name(self) -> str:
        return country_name(self.estimate_country)

    def missing_steps(self) -> list[str]:
        """Names of the checkout steps still to do, in order."""
        cart = self.cart
        missing = []
        if not self.items:
            missing.append("cart")
        if not cart.email:
            missing.append("email")
        if cart.shipping_address_id is None:
            missing.append("address")
        if self.shipping is None:
            missing.append("shipping")
        if not cart.billing_same_as_shipping and cart.billing_address_id is None:
            missing.append("billing")
        return missing


def tax_rate_for(*, country: str, region: str = "") -> Decimal:
    """The tax rate (percent) for a destination: the region's when set, else the country's
    (cached, ``orders.checkout_rates``)."""
    return checkout_rates().tax_rate(country=country, region=region)


def cart_lines(cart: Cart, *, images: bool = True) -> list[CartLine]:
    """A cart's lines with variant and product (one query), and the product's card images
    (one more) unless ``images`` is off (the API shows none)."""
    return cart_lines_and_levels(cart, images=images, levels=False)[0]


def _cart_lines(cart_id: int, *, levels: bool):
    rows = (CartLine.objects.filter(cart_id=cart_id).select_related("variant__product")
            .order_by("created_at", "pk"))
    if levels:
        rows = rows.annotate(**joined_level_columns("variant__stock_levels")).order_by(
            "created_at", "pk", "joined_level_id")
    return rows


# Every checkout step reads its cart's lines: the read is compiled once per process.
_CART_LINES = PreparedRead(lambda cart_id: _cart_lines(cart_id, levels=False))
_CART_LINES_AND_LEVELS = PreparedRead(lambda cart_id: _cart_lines(cart_id, levels=True))


def cart_lines_and_levels(cart: Cart, *, images: bool = True,
                          levels: bool = True) -> tuple[list[CartLine], list[StockLevel]]:
    """A cart's lines with variant and product, and (``levels``) their variants' stock
    levels in active warehouses with the warehouse (what ``sellable_levels`` reads), in one
    query: each line joined to its variant's levels, a row per level. The product's card
    images take one more unless ``images`` is off (the API shows none)."""
    if cart.pk is None:
        return [], []
    read = _CART_LINES_AND_LEVELS if levels else _CART_LINES
    lines: dict[int, CartLine] = {}
    found: list[StockLevel] = []
    warehouses: dict = {}
    for row in read.objects(cart.pk, using=router.db_for_read(CartLine, instance=cart)):
        row.cart = cart
        lines.setdefault(row.pk, row)
        if levels:
            level = sellable_level_from_row(row, warehouses)
            if level is not None:
                found.append(level)
    result = list(lines.values())
    if images and result:
        prefetch_related_objects([line.variant.product for line in result], Prefetch(
            "images", queryset=ProductImage.objects.exclude(image="").order_by("position", "pk"),
            to_attr="card_images",
        ))
    return result, found


def shipping_options(*, country: str, subtotal: Decimal, weight_grams: int,
                     currency: str, variant_quantities: dict[int, int] | None = None,
                     now: datetime | None = None,
                     stock_levels: list | None = None) -> list[ShippingOption]:
    """The methods offered for a destination country and cart, each with its price and a
    promised delivery window, counted from the day the warehouses that would ship the cart
    send it (their cutoffs and non-working days, ``orders.delivery_promise``); the same
    window is stored on the order. Store pickup is offered only when the pickup warehouse
    holds everything in the cart, ready from its own next shipping day.

    ``stock_levels``: the variants' levels in active warehouses, with their warehouse,
    when the caller has them (``sellable_levels``); else they are read here."""
    country = (country or "").upper()
    rates = checkout_rates()
    zones = rates.zones
    named = [zone.pk for zone in zones if country in zone.country_codes]
    zone_ids = named or [zone.pk for zone in zones if zone.rest_of_world]
    if not zone_ids:
        return []
    methods = rates.methods_for(zone_ids=zone_ids, currency=currency)
    pickup_stock = _pickup_stock(methods, variant_quantities or {}, stock_levels)
    now = now or timezone.now()
    leaves = ship_day(shipping_warehouses(variant_quantities, levels=stock_levels)
                      if variant_quantities else [], now)
    options = []
    for method in methods:
        if method.min_subtotal is not None and subtotal < method.min_subtotal:
            continue
        price = method.price
        if method.kind == ShippingMethod.Kind.WEIGHT:
            tier = next((t for t in method.tiers.all() if weight_grams <= t.up_to_grams), None)
            if tier is None:
                continue
            price = tier.price
        if method.is_pickup:
            warehouse = method.pickup_warehouse
            if not (warehouse.is_active and warehouse.allows_store_pickup):
                continue
            if not variant_quantities or not all(
                pickup_stock.get((warehouse.pk, variant_id), 0) >= quantity
                for variant_id, quantity in variant_quantities.items()
            ):
                continue
        if method.free_above is not None and subtotal >= method.free_above:
            price = ZERO
        start = ship_day([method.pickup_warehouse], now) if method.is_pickup else leaves
        options.append(ShippingOption(
            method=method, price=price, currency=currency,
            delivery_earliest=add_business_days(start, method.min_delivery_days),
            delivery_latest=add_business_days(start, method.max_delivery_days),
        ))
    options.sort(key=lambda option: (option.price, option.method.position, option.method.pk))
    return options


def _pickup_stock(methods: list[ShippingMethod], variant_quantities: dict[int, int],
                  stock_levels: list | None = None) -> dict[tuple[int, int], int]:
    from inventory.models import StockLevel

    warehouse_ids = {m.pickup_warehouse_id for m in methods if m.is_pickup}
    if not warehouse_ids or not variant_quantities:
        return {}
    if stock_levels is not None:  # levels of active warehouses; an inactive one sells none
        return {(level.warehouse_id, level.variant_id): level.available
                for level in stock_levels if level.warehouse_id in warehouse_ids}
    return {
        (level.warehouse_id, level.variant_id): level.available
        for level in StockLevel.objects.filter(warehouse_id__in=warehouse_ids,
                                               variant_id__in=list(variant_quantities))
    }


def voucher_problem(voucher: Voucher, *, subtotal: Decimal, currency: str,
                    email: str = "", user_id: int | None = None, now=None) -> str:
    """Why a voucher can't be used on this cart right now, or an empty string.

    The per-customer limit counts earlier uses by the contact email and, for a logged-in
    customer (``user_id``), by their account too, so typing another email doesn't reset it.
    """
    now = now or timezone.now()
    if not voucher.is_active:
        return f"The code {voucher.code} is no longer valid."
    if voucher.starts_at and now < voucher.starts_at:
        return f"The code {voucher.code} is not valid yet."
    if voucher.ends_at and now >= voucher.ends_at:
        return f"The code {voucher.code} has expired."
    if voucher.usage_limit is not None and voucher.used_count >= voucher.usage_limit:
        return f"The code {voucher.code} has been fully used."
    if voucher.currency != currency and voucher.kind == Voucher.Kind.FIXED:
        return f"The code {voucher.code} is for {voucher.currency} orders."
    if voucher.min_subtotal is not None and subtotal < voucher.min_subtotal:
        return (f"The code {voucher.code} needs a subtotal of at least "
                f"{Money(voucher.min_subtotal, currency)}.")
    if (email or user_id) and voucher.per_customer_limit is not None:
        same_customer = Q(email=email.lower()) if email else Q(pk__in=[])
        if user_id:
            same_customer |= Q(order__user_id=user_id)
        used = voucher.uses.filter(same_customer).count()
        if used >= voucher.per_customer_limit:
            return f"You have already used the code {voucher.code}."
    return ""


def build_checkout(cart: Cart, *, estimate_country: str = "", images: bool = True,
                   reuse: CheckoutView | None = None) -> CheckoutView:
    """The cart with availability, shipping options, the chosen method and totals.

    Queries: lines joined to their variants' stock levels (1, availability and the
    shipping warehouses both come from the levels; + 1 for card images), voucher uses (1,
    only with a per-customer limit); zones, methods and tax rates come from the cache
    (``orders.checkout_rates``, four queries when it is cold). ``reuse``: a view of the
    same cart built earlier in the same transaction, with the cart locked since, so its
    lines and stock levels still hold; only the cart's own fields are read again (no
    query for lines or stock).
    """
    if reuse is not None:
        lines, levels = [item.line for item in reuse.items], reuse.stock_levels
    else:
        lines, levels = cart_lines_and_levels(cart, images=images)
    availability = available_from_levels(levels)
    view = CheckoutView(cart=cart, items=[CartItem(line, availability.get(line.variant_id, 0))
                                          for line in lines], stock_levels=levels)
    if not lines:
        return view
    address = cart.shipping_address if cart.shipping_address_id else None
    country = address.country if address else (estimate_country or settings.SHOP_COUNTRY)
    view.estimate_country = country
    voucher = cart.voucher if cart.voucher_id else None
    subtotal = view.subtotal.amount
    discount = ZERO
    if voucher:
        view.voucher_problem = voucher_problem(voucher, subtotal=subtotal, currency=cart.currency,
                                               email=cart.email, user_id=cart.user_id)
        if view.voucher_problem:
            voucher = None
        else:
            discount = discount_for(subtotal, kind=voucher.kind, value=voucher.value,
                                    currency=cart.currency)
    quantities: dict[int, int] = {}
    for item in view.items:
        quantities[item.variant.pk] = quantities.get(item.variant.pk, 0) + item.quantity
    view.shipping_options = shipping_options(
        country=country, subtotal=subtotal - discount, weight_grams=view.weight_grams,
        currency=cart.currency, variant_quantities=quantities, stock_levels=levels,
    )
    if cart.shipping_method_id and address:
        view.shipping = next((option for option in view.shipping_options
                              if option.pk == cart.shipping_method_id), None)
    view.tax_rate = tax_rate_for(country=country, region=address.region if address else "")
    view.totals = compute_totals(
        lines=[(item.variant.pk, item.variant.price, item.quantity) for item in view.items],
        currency=cart.currency, prices_include_tax=settings.SHOP_PRICES_INCLUDE_TAX,
        tax_rate=view.tax_rate,
        shipping_price=view.shipping.price if view.shipping else ZERO,
        tax_shipping=settings.SHOP_TAX_SHIPPING,
        voucher_kind=voucher.kind if voucher else None,
        voucher_value=voucher.value if voucher else ZERO,
    )
    return view


# --- Orders ---------------------------------------------------------------------------------

def order_detail_queryset() -> QuerySet[Order]:
    """An order with everything its page shows: lines, timeline, addresses (3 queries)."""
    return Order.objects.select_related(
        "shipping_address", "billing_address", "pickup_warehouse"
    ).prefetch_related(
        Prefetch("lines", queryset=OrderLine.objects.order_by("pk")),
        Prefetch("events", queryset=OrderEvent.objects.order_by("created_at", "pk")),
    )


def customer_orders(user) -> QuerySet[Order]:
    """A customer's own orders, newest first, with their item count."""
    return (Order.objects.filter(user=user)
            .annotate(item_count=Count("lines"))
            .order_by("-placed_at", "-pk"))


def orders_from_ip_or_email_last_hour(*, email: str, ip: str | None,
                                      exclude_order_id: int) -> int:
    since = timezone.now() - timedelta(hours=1)
    match = Q(email=email)
    if ip:
        match |= Q(customer_ip=ip)
    return Order.objects.filter(match, placed_at__gte=since).exclude(pk=exclude_order_id).count()
