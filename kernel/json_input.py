"""Reading JSON sent by someone else (a webhook body, an API request) strictly enough that
whatever it holds can be stored and compared without a surprise in the database.

Python's ``json`` accepts ``NaN`` and ``Infinity``, turns ``1e400`` into ``inf`` and recurses
once per nesting level (``[`` x 3000 is a RecursionError); PostgreSQL refuses NUL characters
in text and in ``jsonb``, and a lone surrogate escape (``"\\ud800"``) decodes to a string no
database or UTF-8 encoder takes. ``load_json`` refuses all of these with ``MalformedJSON``
(a ``ValueError``), so callers answer a 4xx or acknowledge, never a 500.
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


# A surrogate code point on its own: JSON's "\ud800" without its pair. It is not text (UTF-8
# can't encode it), so it can't be stored, logged as UTF-8 or compared with stored text.
LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def _any_string(value, test) -> bool:
    if isinstance(value, str):
        return test(value)
    if isinstance(value, dict):
        return any(_any_string(key, test) or _any_string(item, test)
                   for key, item in value.items())
    if isinstance(value, list):
        return any(_any_string(item, test) for item in value)
    return False


def contains_nul(value) -> bool:
    """Whether a NUL character hides in any string or key of a decoded document."""
    return _any_string(value, lambda text: "\x00" in text)


def contains_lone_surrogate(value) -> bool:
    """Whether any string or key of a decoded document holds a lone surrogate."""
    return _any_string(value, lambda text: LONE_SURROGATE.search(text) is not None)


def load_json(body: bytes | str, *, max_depth: int = MAX_DEPTH, allow_nul: bool = False):
    """The decoded document, or MalformedJSON: not UTF-8, not JSON, nested past
    ``max_depth``, ``NaN``/``Infinity``/an infinite number, an integer too long for Python
    to read, a lone surrogate (``"\\ud800"``) anywhere, or (unless ``allow_nul``) a NUL
    character anywhere."""
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
    if contains_lone_surrogate(document):
        raise MalformedJSON("The document contains a lone surrogate escape (such as \\ud800), "
                            "which is not a character.")
    return document
