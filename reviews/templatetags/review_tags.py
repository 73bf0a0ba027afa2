"""Stars for a rating: drawn as text, always beside the words they stand for."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django import template

register = template.Library()


@register.filter
def stars(value) -> str:
    """'★★★★☆' for 4.3: the rating rounded to whole stars (decoration; the text says the
    exact figure)."""
    try:
        whole = int(Decimal(str(value)).quantize(Decimal("1"), ROUND_HALF_UP))
    except (InvalidOperation, TypeError, ValueError):
        return ""
    whole = max(0, min(5, whole))
    return "★" * whole + "☆" * (5 - whole)
