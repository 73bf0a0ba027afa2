"""Reading JSON sent by someone else (a webhook body, an API request) strictly enough that
whatever it holds can be stored and compared without a surprise in the database.

Python's ``json`` accepts ``NaN`` and ``Infinity``, turns ``1e400`` into ``inf`` and recurses
once per nesting level (``[`` x 3000 is a RecursionError); PostgreSQL refuses NUL characters
in text and in ``jsonb``. ``load_json`` refuses all of these with ``MalformedJSON`` (a
``ValueError``), so callers answer a 4xx or acknowledge, never a 500.
"""

from __future__ import annotations

import json
import math
import re

MAX_DEPTH = 32

# A whole JSON string (so brackets inside text don't count) or one bracket.
TOKENS = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}]')


class MalformedJSON(ValueError):
    """The text is not JSON the shop takes; the message says why."""


def deeper_than(text: str, limit: int) -> bool:
    """Whether arrays and objects in ``text`` nest more than ``limit`` levels. Counted on the
    raw text, skipping strings, so a deep document never reaches the decoder."""
    depth = 0
    for match in TOKENS.finditer(text):
        token = match.group()
        if token in "[{":
            depth += 1
            if depth > limit:
                return True
        elif token in "]}":
            depth -= 1
    return False


def _refuse_constant(name: str):
    raise MalformedJSON(f"{name} is not a JSON number.")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise MalformedJSON(f"The number {text[:20]} is too large.")
    return value


def contains_nul(value) -> bool:
    """Whether a NUL character hides in any string or key of a decoded document."""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(contains_nul(key) or contains_nul(item) for key, item in value.items())
    if isinstance(value, list):
        return any(contains_nul(item) for item in value)
    return False


def load_json(body: bytes | str, *, max_depth: int = MAX_DEPTH, allow_nul: bool = False):
    """The decoded document, or MalformedJSON: not UTF-8, not JSON, nested past
    ``max_depth``, ``NaN``/``Infinity``/an infinite number, an integer too long for Python
    to read, or (unless ``allow_nul``) a NUL character anywhere."""
    try:
        text = body.decode("utf-8") if isinstance(body, bytes) else body
    except UnicodeDecodeError as error:
        raise MalformedJSON("The body is not UTF-8 text.") from error
    if deeper_than(text, max_depth):
        raise MalformedJSON(f"The document is nested more than {max_depth} levels deep.")
    try:
        document = json.loads(text, parse_constant=_refuse_constant, parse_float=_finite_float)
    except MalformedJSON:
        raise
    except (ValueError, RecursionError) as error:  # JSONDecodeError, a 5,000-digit integer
        raise MalformedJSON(f"The body is not valid JSON: {str(error)[:120]}") from error
    if not allow_nul and contains_nul(document):
        raise MalformedJSON("The document contains a NUL character.")
    return document
