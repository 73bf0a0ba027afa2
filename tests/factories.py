"""factory_boy factories. Writes that carry rules (variants, stock) go through services."""

from decimal import Decimal

import factory
from django.contrib.auth import get_user_model

from catalog import services as catalog_services
from catalog.models import Category, Product, Variant
from inventory import services as inventory_services
from inventory.models import Warehouse


class CategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Category

    name = factory.Sequence(lambda n: f"Category {n}")
    slug = factory.Sequence(lambda n: f"category-{n}")
    parent = None

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return catalog_services.save_category(category=model_class(*args, **kwargs))


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product

    title = factory.Sequence(lambda n: f"Product {n}")
    slug = factory.Sequence(lambda n: f"product-{n}")
    category = factory.SubFactory(CategoryFactory)
    description = "<p>A sturdy, well made thing.</p>"
    vendor = "Northwind"
    product_type = "Goods"
    is_published = True

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return catalog_services.save_product(product=model_class(*args, **kwargs))


class WarehouseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Warehouse
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"wh{n}")
    name = factory.LazyAttribute(lambda o: f"Warehouse {o.code}")
    city = "Springfield"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.com")
    password = factory.django.Password("correct horse battery")


_sku_counter = iter(range(1, 10**9))


def make_variant(product: Product, *, price: str = "10.00", sku: str | None = None,
                 options: dict | None = None, stock: int = 0,
                 warehouse: Warehouse | None = None, **kwargs) -> Variant:
    """A variant through the catalog service, with ``stock`` units received if asked."""
    variant = catalog_services.save_variant(
        product=product, sku=sku or f"SKU-{next(_sku_counter):06d}", price=Decimal(price),
        options=options or {}, **kwargs,
    )
    if stock:
        inventory_services.receive_stock(
            variant=variant, warehouse=warehouse or WarehouseFactory(code="main"),
            quantity=stock, reference="test",
        )
    return variant


# --- Orders ---------------------------------------------------------------------------------

ADDRESS = {
    "first_name": "Ada", "last_name": "Lovelace", "line1": "12 Analytical Row",
    "city": "Portland", "region": "OR", "postal_code": "97201", "country": "US",
    "phone": "+1 503 555 0100",
}


def make_shipping(*, country: str = "US", price: str = "5.00", name: str = "Standard",
                  free_above: str | None = None, **kwargs):
    """A zone for ``country`` with one flat-rate method (through the admin's models: shipping
    configuration has no workflow behind it)."""
    from orders.models import ShippingMethod, ShippingZone

    zone, _ = ShippingZone.objects.get_or_create(name=f"Zone {country}",
                                                 defaults={"countries": country})
    return ShippingMethod.objects.create(
        zone=zone, name=name, price=Decimal(price),
        free_above=Decimal(free_above) if free_above else None, **kwargs)


def ready_cart(*, variants: dict, email: str = "ada@example.com", user=None,
               address: dict | None = None, method=None, voucher: str | None = None):
    """A cart with ``{variant: quantity}``, contact, address and shipping chosen: every
    checkout step done, through the services."""
    from orders import services as order_services

    cart = order_services.get_or_create_cart(user=user)
    for variant, quantity in variants.items():
        order_services.add_to_cart(cart=cart, variant_id=variant.pk, quantity=quantity)
    order_services.set_checkout_email(cart=cart, email=email)
    order_services.set_shipping_address(cart=cart, address=address or ADDRESS)
    method = method or make_shipping()
    order_services.set_shipping_method(cart=cart, method_id=method.pk)
    if voucher:
        order_services.apply_voucher(cart=cart, code=voucher)
    cart.refresh_from_db()
    return cart
