"""The API's JSON parser: DRF's, but a document nested deeper than any endpoint takes is a
400 with a clear message instead of a RecursionError (a 500) inside ``json``.

No endpoint takes more than a few levels (an object of lines, each an object); the limit
leaves ample room. The depth is counted on the raw text before decoding, skipping strings,
so a deep document costs one regular-expression pass and never reaches the decoder. A body
in an unknown charset or not in the one it names is a 400 too, and so is a lone surrogate
escape (``"\\ud800"``): it decodes to a string that is not text, which no field can store.
"""

from __future__ import annotations

from django.conf import settings
from rest_framework import parsers
from rest_framework.exceptions import ParseError
from rest_framework.utils import json

from kernel.json_input import contains_lone_surrogate, deeper_than

MAX_DEPTH = 32

__all__ = ["MAX_DEPTH", "JSONParser", "deeper_than"]


class JSONParser(parsers.JSONParser):
    max_depth = MAX_DEPTH

    def parse(self, stream, media_type=None, parser_context=None):
        encoding = (parser_context or {}).get("encoding") or settings.DEFAULT_CHARSET
        try:
            text = stream.read().decode(encoding)
        except (LookupError, ValueError) as error:  # unknown charset, undecodable bytes
            raise ParseError(f"JSON parse error - the body is not valid {encoding} text.") \
                from error
        if deeper_than(text, self.max_depth):
            raise ParseError(f"JSON parse error - the document is nested more than "
                             f"{self.max_depth} levels deep.")
        try:
            document = json.loads(text, parse_constant=json.strict_constant if self.strict
                                  else None)
        except ValueError as error:
            raise ParseError(f"JSON parse error - {error}") from error
        if contains_lone_surrogate(document):
            raise ParseError("JSON parse error - the document contains a lone surrogate escape "
                             "(such as \\ud800), which is not a character.")
        return document
