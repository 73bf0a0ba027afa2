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


def _beanie(draw, size, color, scale):
    x0, y0, x1, y1 = _box(size, scale, .46, .42, .5)
    w, h = x1 - x0, y1 - y0
    draw.pieslice([x0, y0, x1, y1 + h * .55], 180, 360, fill=color)
    draw.rounded_rectangle([x0 - w * .03, y0 + h * .62, x1 + w * .03, y1], radius=14,
                           fill=_mix(color, "#000000", .25))
    for step in range(1, 8):  # ribs of the cuff
        x = x0 + w * step / 8
        draw.line([(x, y0 + h * .64), (x, y1 - 4)], fill=_mix(color, "#000000", .4), width=4)
    draw.ellipse([(x0 + x1) / 2 - w * .1, y0 - h * .2, (x0 + x1) / 2 + w * .1, y0 + h * .02],
                 fill=_mix(color, "#ffffff", .25))


def _trousers(draw, size, color, scale):
    x0, y0, x1, y1 = _box(size, scale, .36, .62)
    w = x1 - x0
    draw.rectangle([x0, y0, x1, y0 + w * .14], fill=_mix(color, "#000000", .3))
    draw.polygon([(x0, y0 + w * .14), (x0 + w * .48, y0 + w * .14), (x0 + w * .44, y1),
                  (x0 + w * .06, y1)], fill=color)
    draw.polygon([(x0 + w * .52, y0 + w * .14), (x1, y0 + w * .14), (x1 - w * .06, y1),
                  (x0 + w * .56, y1)], fill=color)


def _sock(draw, size, color, scale):
    x0, y0, x1, y1 = _box(size, scale, .4, .56)
    w = x1 - x0
    draw.rectangle([x0 + w * .1, y0, x0 + w * .55, y1 - w * .25], fill=color)
    draw.rounded_rectangle([x0 + w * .1, y1 - w * .5, x1, y1], radius=w * .2, fill=color)
    draw.rectangle([x0 + w * .1, y0, x0 + w * .55, y0 + w * .15], fill=_mix(color, "#ffffff", .4))


def _poles(draw, size, color, scale):
    x0, y0, x1, y1 = _box(size, scale, .4, .66)
    for offset in (-.12, .12):
        cx = (x0 + x1) / 2 + (x1 - x0) * offset
        draw.line([(cx, y0 + 70), (cx + offset * 60, y1)], fill="#6b7280", width=12)
        draw.rounded_rectangle([cx - 16, y0, cx + 16, y0 + 90], radius=10, fill=color)


def _candle(draw, size, color, scale):
    x0, y0, x1, y1 = _box(size, scale, .32, .42, .55)
    draw.rounded_rectangle([x0, y0, x1, y1], radius=18, fill=color)
    cx = (x0 + x1) / 2
    draw.line([(cx, y0 - 30), (cx, y0)], fill="#1f2937", width=5)
    draw.ellipse([cx - 14, y0 - 80, cx + 14, y0 - 28], fill="#f59e0b")


def _vase(draw, size, color, scale):
    x0, y0, x1, y1 = _box(size, scale, .36, .56)
    w = x1 - x0
    draw.ellipse([x0, y0 + w * .45, x1, y1], fill=color)
    draw.rectangle([x0 + w * .32, y0, x0 + w * .68, y0 + w * .6], fill=color)
    draw.ellipse([x0 + w * .26, y0 - 12, x0 + w * .74, y0 + 14], fill=_mix(color, "#000000", .35))


def _clock(draw, size, color, scale):
    x0, y0, x1, y1 = _box(size, scale, .5, .5)
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    draw.ellipse([x0, y0, x1, y1], fill=color)
    draw.ellipse([x0 + 24, y0 + 24, x1 - 24, y1 - 24], fill="#fafaf9")
    draw.line([(cx, cy), (cx, y0 + 70)], fill="#1c2321", width=10)
    draw.line([(cx, cy), (x1 - 90, cy)], fill="#1c2321", width=8)


def _textile(draw, size, color, scale):
    x0, y0, x1, y1 = _box(size, scale, .6, .4, .52)
    h = y1 - y0
    for layer in range(3):
        top = y0 + h * layer / 3
        draw.rounded_rectangle([x0, top, x1, top + h / 3 + 10], radius=16,
                               fill=_mix(color, "#000000", .12 * layer))


def _kettle(draw, size, color, scale):
    x0, y0, x1, y1 = _box(size, scale, .46, .4, .55)
    w = x1 - x0
    draw.line([(x1 - w * .1, y0 + w * .3), (x1 + w * .3, y0 - w * .1)], fill=color, width=18)
    draw.arc([x0 + w * .15, y0 - w * .4, x1 - w * .15, y0 + w * .2], 180, 360,
             fill="#1f2937", width=14)
    draw.rounded_rectangle([x0, y0, x1, y1], radius=40, fill=color)


def _bottle(draw, size, color, scale):
    x0, y0, x1, y1 = _box(size, scale, .3, .6)
    w = x1 - x0
    draw.rounded_rectangle([x0, y0 + w * .3, x1, y1], radius=24, fill=color)
    draw.rectangle([x0 + w * .3, y0, x1 - w * .3, y0 + w * .32], fill=_mix(color, "#000000", .35))


def _pen(draw, size, color, scale):
    x0, y0, x1, y1 = _box(size, scale, .7, .1)
    mid = (y0 + y1) / 2
    draw.rounded_rectangle([x0 + (x1 - x0) * .15, y0, x1, y1], radius=20, fill=color)
    draw.polygon([(x0, mid), (x0 + (x1 - x0) * .16, y0 + 6), (x0 + (x1 - x0) * .16, y1 - 6)],
                 fill="#d4a017")


def _stove(draw, size, color, scale):
    x0, y0, x1, y1 = _box(size, scale, .5, .3, .58)
    w = x1 - x0
    draw.rounded_rectangle([x0, y0, x1, y1], radius=14, fill=color)
    for offset in (.3, .7):
        cx = x0 + w * offset
        draw.ellipse([cx - 40, y0 - 30, cx + 40, y0 + 10], fill="#374151")
        draw.pieslice([cx - 22, y0 - 80, cx + 22, y0 - 10], 180, 360, fill="#3b82f6")


def _chair(draw, size, color, scale):
    x0, y0, x1, y1 = _box(size, scale, .44, .6)
    w = x1 - x0
    draw.line([(x0, y1), (x1, y0 + w * .6)], fill="#4b5563", width=12)
    draw.line([(x1, y1), (x0, y0 + w * .6)], fill="#4b5563", width=12)
    draw.rounded_rectangle([x0, y0, x1, y0 + w * .45], radius=10, fill=color)
    draw.rounded_rectangle([x0 - 10, y0 + w * .5, x1 + 10, y0 + w * .7], radius=10,
                           fill=_mix(color, "#000000", .25))


_DRAWINGS = {
    "pan": _pan, "knife": _knife, "tent": _tent, "mountain": _mountain, "shirt": _shirt,
    "lamp": _lamp, "mug": _mug, "bag": _bag, "notebook": _notebook, "beanie": _beanie,
    "trousers": _trousers, "sock": _sock, "poles": _poles, "candle": _candle, "vase": _vase,
    "clock": _clock, "textile": _textile, "kettle": _kettle, "bottle": _bottle, "pen": _pen,
    "stove": _stove, "chair": _chair,
}

# What each word in a product's title is drawn as, when it is not the category's drawing
# (a beanie is not drawn as a T-shirt). The first word found in the title wins.
DRAWING_BY_WORD = [
    ("pendant", "lamp"), ("beanie", "beanie"), ("chino", "trousers"), ("trousers", "trousers"),
    ("sock", "sock"),
    ("gaiter", "sock"), ("poles", "poles"), ("daypack", "bag"), ("base layer", "shirt"),
    ("shell", "shirt"), ("hoodie", "shirt"), ("candle", "candle"), ("vase", "vase"),
    ("clock", "clock"), ("duvet", "textile"), ("throw", "textile"), ("towel", "textile"),
    ("sleeping bag", "textile"), ("hammock", "textile"), ("lantern", "lamp"), ("mug", "mug"),
    ("cups", "mug"), ("dripper", "mug"), ("kettle", "kettle"), ("teapot", "kettle"),
    ("french press", "bottle"), ("jar", "bottle"), ("filter", "bottle"),
    ("grinder", "bottle"), ("pen", "pen"), ("stove", "stove"), ("chair", "chair"),
    ("tent", "tent"), ("notebook", "notebook"), ("journal", "notebook"),
    ("planner", "notebook"), ("letter set", "notebook"), ("organiser", "bag"),
    ("lamp", "lamp"), ("light", "lamp"), ("cubes", "bag"), ("sleeve", "bag"),
    ("wallet", "bag"),
]

# The colour a variant's name stands for, so a Navy variant's photo is navy.
COLOR_HEX = {
    "navy": "#1f2a44", "oat": "#d6c7a1", "charcoal": "#36393d", "blue": "#1d4ed8",
    "olive": "#5b6b2e", "forest": "#166534", "sand": "#c2a878", "slate": "#475569",
    "white": "#f3f4f6", "black": "#1c1c1c", "brass": "#b08d3c", "tan": "#b07a4a",
    "grey": "#6b7280", "gray": "#6b7280", "red": "#b91c1c", "green": "#15803d",
}


def drawing_for(title: str, default: str) -> str:
    """The drawing that shows what ``title`` is, else the category's ``default``."""
    lowered = title.lower()
    return next((drawing for word, drawing in DRAWING_BY_WORD if word in lowered), default)


def color_hex(name: str) -> str | None:
    return COLOR_HEX.get(name.strip().lower())
