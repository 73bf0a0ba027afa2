"""Signal receivers of the catalog app, connected in ``CatalogConfig.ready``."""

from django.db.models.signals import m2m_changed, post_delete, post_save

from kernel.enqueue import enqueue

from . import signals, tasks
from .listing_cache import on_catalog_saved_or_deleted
from .models import Category, OptionValue, Product, ProductImage, ProductOption, Variant


def on_image_uploaded(sender, image_id: int, **kwargs) -> None:
    enqueue(tasks.generate_thumbnails, image_id)


def connect() -> None:
    signals.image_uploaded.connect(on_image_uploaded, dispatch_uid="catalog.thumbnails")
    # Images too: product cards and product pages are cached with their photos.
    for model in (Category, Product, ProductImage, ProductOption, OptionValue, Variant):
        post_save.connect(on_catalog_saved_or_deleted, sender=model,
                          dispatch_uid=f"catalog-version-save-{model.__name__}")
        post_delete.connect(on_catalog_saved_or_deleted, sender=model,
                            dispatch_uid=f"catalog-version-delete-{model.__name__}")
    m2m_changed.connect(on_catalog_saved_or_deleted, sender=Variant.option_values.through,
                        dispatch_uid="catalog-version-variant-options")
