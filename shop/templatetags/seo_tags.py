"""What search engines read: the canonical address of a page and JSON-LD blocks."""

from __future__ import annotations

import json

from django import template
from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.utils.html import _json_script_escapes
from django.utils.http import urlencode
from django.utils.safestring import mark_safe

register = template.Library()


def absolute(path: str) -> str:
    return settings.SHOP_BASE_URL.rstrip("/") + path


@register.simple_tag
def canonical_url(path: str, page=None) -> str:
    """The page's one address at the shop's public URL: no sort, filter or tracking
    parameters, only the page number past the first page."""
    try:
        number = int(page or 1)
    except (TypeError, ValueError):
        number = 1
    return absolute(path) + (f"?{urlencode({'page': number})}" if number > 1 else "")


@register.filter(is_safe=True)
def json_ld(value) -> str:
    """``value`` as JSON to sit inside <script type="application/ld+json">: '<', '>' and
    '&' escaped as \\u003C and friends (as ``json_script`` does), so no text in it (a
    review saying "</script>") can close the tag."""
    text = json.dumps(value, cls=DjangoJSONEncoder, ensure_ascii=False)
    return mark_safe(text.translate(_json_script_escapes))  # nosec B308 B703 # escaped above
