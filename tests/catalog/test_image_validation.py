"""Uploaded images: only JPEG, PNG, GIF or WebP, at most 20 MB and 40 megapixels, and
stored re-encoded (never the uploaded bytes)."""

import io

import pytest
from PIL import Image

from catalog import services
from catalog.exceptions import CatalogError
from tests.factories import ProductFactory

pytestmark = pytest.mark.django_db


def encoded(fmt: str, size=(64, 48)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, "#336699").save(buffer, format=fmt)
    return buffer.getvalue()


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "GIF", "WEBP"])
def test_the_four_web_formats_are_accepted_and_re_encoded(fmt):
    upload = encoded(fmt)
    row = services.add_product_image(product=ProductFactory(), content=upload)
    stored = row.image.read()
    assert stored != upload or fmt == "JPEG"
    assert Image.open(io.BytesIO(stored)).format == "JPEG"


@pytest.mark.parametrize("fmt", ["BMP", "TIFF", "ICO", "PPM"])
def test_other_image_formats_are_refused(fmt):
    with pytest.raises(CatalogError, match="JPEG, PNG, GIF or WebP"):
        services.add_product_image(product=ProductFactory(), content=encoded(fmt))


def test_a_file_over_20_mb_is_refused_before_decoding(monkeypatch):
    monkeypatch.setattr(services, "MAX_IMAGE_BYTES", 1000)
    with pytest.raises(CatalogError, match="too large"):
        services.add_product_image(product=ProductFactory(), content=encoded("PNG") + b"\0" * 2000)


def test_a_decompression_bomb_header_is_refused_without_decoding(monkeypatch):
    # 8000 x 6000 = 48 megapixels, in a small PNG: the header alone is enough to refuse it.
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", None)
    bomb = encoded("PNG", size=(8000, 6000))
    with pytest.raises(CatalogError, match="40 megapixels"):
        services.add_product_image(product=ProductFactory(), content=bomb)
