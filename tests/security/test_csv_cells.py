"""Every CSV the shop writes goes through kernel.spreadsheets, which quotes cells a
spreadsheet would run as formulas (OWASP's CSV injection advice) and leaves numbers as
numbers."""

import csv
import io
import re
from decimal import Decimal
from pathlib import Path

import pytest

from kernel.spreadsheets import csv_writer, safe_cell

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("text", [
    "=1+2@example.com", "+1", "-2+3", "-1+cmd|' /C calc'!A0", "@SUM(A1:A2)", "\tx", "\rx",
    "=HYPERLINK(\"http://evil\",\"x\")", "-", "-6.72 ", "-1e5", "- 3"])
def test_cells_that_would_be_formulas_are_quoted(text):
    assert safe_cell(text) == "'" + text


@pytest.mark.parametrize("value,written", [
    ("grace@example.com", "grace@example.com"), ("a=b", "a=b"), ("", ""), (None, ""),
    ("-6.72", "-6.72"), ("-12", "-12"), ("6.72", "6.72"),  # plain numbers are data
    (Decimal("-6.72"), Decimal("-6.72")), (-3, -3), (-0.5, -0.5), (True, "True")])
def test_text_and_numbers_stay_as_they_are(value, written):
    assert safe_cell(value) == written


def test_the_writer_quotes_every_row_header_included():
    out = io.StringIO()
    writer = csv_writer(out)
    writer.writerow(["=cmd", "Total"])
    writer.writerows([["@x", Decimal("-1.50")], ["ok", -2]])
    assert list(csv.reader(io.StringIO(out.getvalue()))) == [
        ["'=cmd", "Total"], ["'@x", "-1.50"], ["ok", "-2"]]


def test_no_module_writes_csv_but_through_the_kernel_helper():
    """csv.writer / DictWriter anywhere else would bypass the quoting."""
    raw = re.compile(r"csv\.(writer|DictWriter)\s*\(|from csv import .*(writer|DictWriter)")
    offenders = []
    for path in ROOT.rglob("*.py"):
        relative = path.relative_to(ROOT)
        if relative.parts[0] in {".venv", "tests", "node_modules"} or \
                relative.as_posix() == "kernel/spreadsheets.py":
            continue
        if raw.search(path.read_text(encoding="utf-8", errors="replace")):
            offenders.append(relative.as_posix())
    assert offenders == []
