"""CSV the shop writes, safe to open in a spreadsheet.

Excel, LibreOffice and Google Sheets read a cell that starts with ``=``, ``+``, ``-``,
``@``, a tab or a carriage return as a formula, so text a shopper typed (a name, an email
such as ``=1+2@example.com``) could run as a formula on a merchant's machine (CSV formula
injection). Every CSV the shop writes goes through ``csv_writer`` (or ``safe_row``), which
prefixes such a cell with a single quote, as OWASP advises, so it shows as the text it is.

Numbers are data, not formulas: an int, ``Decimal`` or float (not a bool) is written as it
is, and so is text that is exactly a plain decimal number (``-6.72``, ``-12``), which no
spreadsheet reads as a formula. Anything else starting with ``-`` (``-2+3``,
``-1+cmd|' /C calc'!A0``) is quoted. To get the original text back, strip one leading
quote from a cell whose second character is one of those.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from decimal import Decimal

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
PLAIN_NUMBER = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")


def safe_cell(value):
    """``value`` as a CSV cell no spreadsheet runs as a formula."""
    if value is None:
        return ""
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        return value
    text = str(value)
    if text.startswith(FORMULA_STARTS) and not PLAIN_NUMBER.fullmatch(text):
        return "'" + text
    return text


def safe_row(row: Iterable) -> list:
    return [safe_cell(value) for value in row]


class SafeWriter:
    """``csv.writer`` whose every cell goes through ``safe_cell``."""

    def __init__(self, stream, **options):
        self._writer = csv.writer(stream, **options)

    def writerow(self, row: Iterable):
        return self._writer.writerow(safe_row(row))

    def writerows(self, rows: Iterable[Iterable]) -> None:
        for row in rows:
            self.writerow(row)


def csv_writer(stream, **options) -> SafeWriter:
    """The one way the shop writes CSV (``options`` as for ``csv.writer``)."""
    return SafeWriter(stream, **options)
