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
