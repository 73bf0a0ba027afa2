"""Product photos for the demo catalog, drawn with Pillow: a simple picture of the product
(a pan, a tent, a shirt...) in the variant's colours. Nothing is downloaded."""

from __future__ import annotations

import io
import random

from PIL import Image, ImageDraw, ImageFont


def _font(size: int) -> ImageFont.ImageFont:
    return ImageFont.load_default(size=size)


def draw_product_image(title: str, drawing: str, colors: tuple[str, ...], shot: int,
                       rng: random.Random, size: int = 800) -> bytes:
    """A clean product shot: a soft gradient backdrop, a simple drawing of the kind of
    product, and its name. Returned as PNG bytes (the catalog service re-encodes it)."""
    base = colors[rng.randrange(len(colors))]
    image = Image.new("RGB", (size, size), "#f4f1ea")
    draw = ImageDraw.Draw(image)
    top, bottom = (244, 241, 234), _mix(base, "#ffffff", 0.82)
    for y in range(size):
        ratio = y / size
        draw.line([(0, y), (size, y)], fill=tuple(
            round(top[i] * (1 - ratio) + bottom[i] * ratio) for i in range(3)))
    # A soft shadow under the product.
    draw.ellipse([size * .2, size * .78, size * .8, size * .86], fill=_mix(base, "#f4f1ea", .75))
    scale = 1.0 if shot == 0 else 1.35
    _DRAWINGS[drawing](draw, size, base, scale)
    draw.text((size / 2, size * .93), title, font=_font(34), fill="#1c2321", anchor="mm")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def _mix(color: str, other: str, amount: float) -> tuple[int, int, int]:
    a = tuple(int(color[i:i + 2], 16) for i in (1, 3, 5))
    b = tuple(int(other[i:i + 2], 16) for i in (1, 3, 5))
    return tuple(round(a[i] * (1 - amount) + b[i] * amount) for i in range(3))


def _box(size: int, scale: float, w: float, h: float, cy: float = .47):
    cx = size / 2
    return (cx - size * w * scale / 2, size * cy - size * h * scale / 2,
            cx + size * w * scale / 2, size * cy + size * h * scale / 2)


def _pan(draw, size, color, scale):
    x0, y0, x1, y1 = _box(size, scale, .5, .5)
    draw.rounded_rectangle([x1 - 10, (y0 + y1) / 2 - 18, x1 + size * .22 * scale,
                            (y0 + y1) / 2 + 18], radius=14, fill=_mix(color, "#000000", .3))
    draw.ellipse([x0, y0, x1, y1], fill=color)
    draw.ellipse([x0 + 28, y0 + 28, x1 - 28, y1 - 28], fill=_mix(color, "#000000", .35))


def _knife(draw, size, color, scale):
    x0, y0, x1, y1 = _box(size, scale, .7, .16)
    mid = (y0 + y1) / 2
    draw.polygon([(x0, mid), (x0 + (x1 - x0) * .62, y0), (x0 + (x1 - x0) * .62, y1)],
                 fill=_mix(color, "#ffffff", .55))
    draw.rounded_rectangle([x0 + (x1 - x0) * .6, y0 + 8, x1, y1 - 8], radius=12, fill=color)


def _tent(draw, size, color, scale):
    x0, y0, x1, y1 = _box(size, scale, .62, .45, .5)
    draw.polygon([((x0 + x1) / 2, y0), (x1, y1), (x0, y1)], fill=color)
    draw.polygon([((x0 + x1) / 2, y0 + 40), ((x0 + x1) / 2 + 50, y1), ((x0 + x1) / 2 - 50, y1)],
                 fill=_mix(color, "#000000", .45))


def _mountain(draw, size, color, scale):
    x0, y0, x1, y1 = _box(size, scale, .7, .45, .5)
    draw.polygon([(x0, y1), (x0 + (x1 - x0) * .38, y0), (x0 + (x1 - x0) * .7, y1)], fill=color)
    draw.polygon([(x0 + (x1 - x0) * .35, y1), (x0 + (x1 - x0) * .68, y0 + 60), (x1, y1)],
                 fill=_mix(color, "#000000", .3))
    draw.polygon([(x0 + (x1 - x0) * .38, y0), (x0 + (x1 - x0) * .31, y0 + 55),
                  (x0 + (x1 - x0) * .45, y0 + 55)], fill="#ffffff")


def _shirt(draw, size, color, scale):
    x0, y0, x1, y1 = _box(size, scale, .5, .55)
    w = x1 - x0
    draw.polygon([(x0 + w * .3, y0), (x0 + w * .7, y0), (x1 + w * .22, y0 + w * .25),
                  (x1 + w * .08, y0 + w * .42), (x1, y0 + w * .34), (x1, y1), (x0, y1),
                  (x0, y0 + w * .34), (x0 - w * .08, y0 + w * .42), (x0 - w * .22, y0 + w * .25)],
                 fill=color)
    draw.chord([x0 + w * .36, y0 - w * .08, x0 + w * .64, y0 + w * .12], 0, 180,
               fill=_mix(color, "#000000", .3))


def _lamp(draw, size, color, scale):
    x0, y0, x1, y1 = _box(size, scale, .42, .6)
    w = x1 - x0
    draw.polygon([(x0 + w * .2, y0), (x0 + w * .8, y0), (x1, y0 + w * .45), (x0, y0 + w * .45)],
                 fill=color)
    draw.rectangle([x0 + w * .47, y0 + w * .45, x0 + w * .53, y1 - 20], fill="#6b7280")
    draw.rounded_rectangle([x0 + w * .2, y1 - 24, x0 + w * .8, y1], radius=10, fill="#374151")


def _mug(draw, size, color, scale):
    x0, y0, x1, y1 = _box(size, scale, .4, .42)
    w = x1 - x0
    draw.ellipse([x1 - w * .2, y0 + w * .2, x1 + w * .3, y0 + w * .75], outline=color, width=26)
    draw.rounded_rectangle([x0, y0, x1, y1], radius=30, fill=color)
    for offset in (0, 1, 2):
        x = x0 + w * (.3 + offset * .2)
        draw.arc([x - 18, y0 - 110, x + 18, y0 - 20], 100, 260, fill="#9ca3af", width=6)


def _bag(draw, size, color, scale):
    x0, y0, x1, y1 = _box(size, scale, .5, .48, .52)
    w = x1 - x0
    draw.arc([x0 + w * .25, y0 - w * .3, x1 - w * .25, y0 + w * .3], 180, 360,
             fill=_mix(color, "#000000", .35), width=22)
    draw.rounded_rectangle([x0, y0, x1, y1], radius=24, fill=color)
    draw.rectangle([x0, y0 + w * .25, x1, y0 + w * .3], fill=_mix(color, "#000000", .25))


def _notebook(draw, size, color, scale):
    x0, y0, x1, y1 = _box(size, scale, .4, .52)
    draw.rounded_rectangle([x0 + 16, y0 + 16, x1 + 16, y1 + 16], radius=12, fill="#d6d3d1")
    draw.rounded_rectangle([x0, y0, x1, y1], radius=12, fill=color)
    draw.rectangle([x1 - 40, y0, x1 - 28, y1], fill=_mix(color, "#000000", .35))
    draw.rounded_rectangle([x0 + 40, y0 + 60, x1 - 80, y0 + 110], radius=6, fill="#f5f5f4")


_DRAWINGS = {
    "pan": _pan, "knife": _knife, "tent": _tent, "mountain": _mountain, "shirt": _shirt,
    "lamp": _lamp, "mug": _mug, "bag": _bag, "notebook": _notebook,
}
