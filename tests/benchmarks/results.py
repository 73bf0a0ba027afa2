"""The one results file of `make bench` (bench-results.json) and its one table.

Each bench script merges its own section into the file under its own key ("catalog",
"checkout", "fulfillment", "soak", "dashboard", "import", ...) and puts in that section a
list of figure rows under "figures"::

    {"figure": "dashboard customers 365d p50", "value": 41.2, "unit": "ms",
     "baseline": 701, "ratio": 0.06, "target": "< 300", "ok": true}

``value`` is what this run measured; ``baseline`` what it was before the work being measured
(a number, or null); ``ratio`` value / baseline; ``target`` a text such as "< 300" or
"> 1000" (or null) and ``ok`` whether ``value`` meets it (null when there is no target).
``figure_row`` builds a row and works out ``ratio`` and ``ok``; ``merge_section`` writes a
section without touching the others. The table (``python tests/benchmarks/results.py
bench-results.json``, the last step of `make bench`) shows every row of every section. For
the sections written before this format (the catalog pages' root-level "scenarios", "checkout",
"fulfillment", "soak") it derives rows from their known fields (``derived_rows``), with the
baselines of docs/SCALING.md; any other section without "figures" is shown as one line.
"""

from __future__ import annotations

import json
import math
import platform
import sys
from pathlib import Path

ORDER = ["catalog", "checkout", "fulfillment", "soak", "dashboard", "import"]
# Figures published in docs/SCALING.md before issue 16 (2-core machine), the baselines of
# the sections that do not carry their own.
CATALOG_BASELINE_RPS = {"product": 36, "search": 21, "category": 18, "bare": 86}
CHECKOUT_BASELINE_OPS = {"spread-4": 2.8, "hot": 2.4}
# Issue 16's targets and the figures it was filed with (the same machine, before the work).
CATALOG_BASELINE_VS_BARE = {"category": 0.15, "product": 0.49, "search": 0.30}
CATALOG_TARGET_VS_BARE = {"category": ">= 0.5", "search": ">= 0.5", "home": ">= 0.5",
                          "product": ">= 0.7"}
CHECKOUT_BASELINE_ONE_CLIENT = {"place_order_p50_ms": 53, "pay_p50_ms": 47}
CHECKOUT_BASELINE_EIGHT_CLIENTS_OPS = 6.9


def _get(data, *path):
    for key in path:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data


def derived_rows(key: str, data: dict) -> list[dict]:
    """Rows for a section written before the "figures" format, from its known fields."""
    rows = []
    if key == "catalog":
        for name, row in sorted((_get(data, "scenarios") or {}).items()):
            if isinstance(row, dict):
                rows.append(figure_row(f"catalog {name} requests/s",
                                       row.get("requests_per_second"), "req/s",
                                       baseline=CATALOG_BASELINE_RPS.get(name)))
                rows.append(figure_row(f"catalog {name} p50", row.get("p50_ms"), "ms"))
                if name != "bare":
                    rows.append(figure_row(
                        f"catalog {name} vs bare page (req/s ratio)",
                        row.get("relative_to_bare"), "x",
                        baseline=CATALOG_BASELINE_VS_BARE.get(name),
                        target=CATALOG_TARGET_VS_BARE.get(name)))
    elif key == "checkout":
        for name, row in sorted((_get(data, "checkout", "scenarios") or {}).items()):
            if isinstance(row, dict):
                rows.append(figure_row(f"checkout {name} paid orders/s",
                                       row.get("orders_per_second"), "orders/s",
                                       baseline=CHECKOUT_BASELINE_OPS.get(name)))
                rows.append(figure_row(f"checkout {name} place-order p95",
                                       row.get("place_order_p95_ms"), "ms"))
        section = data.get("checkout") or {}
        if section.get("mode"):
            rows.append(figure_row("checkout mode (broker: Redis and a worker; eager: none)",
                                   section["mode"], ""))
        one = _get(section, "scenarios", "spread-1") or {}
        for field, label in (("place_order_p50_ms", "place-order"), ("pay_p50_ms", "pay")):
            rows.append(figure_row(f"checkout 1 client {label} p50", one.get(field), "ms",
                                   baseline=CHECKOUT_BASELINE_ONE_CLIENT[field],
                                   target="<= 15"))
        rows.append(figure_row("checkout 8 clients paid orders/s",
                               _get(section, "scenarios", "spread-8", "orders_per_second"),
                               "orders/s", baseline=CHECKOUT_BASELINE_EIGHT_CLIENTS_OPS,
                               target=">= 30"))
        rows.append(figure_row("checkout hot SKU vs spread (orders/s ratio, 8 clients)",
                               section.get("hot_vs_spread"), "x", target=">= 0.8"))
        for name, ratio in sorted((section.get("cost_vs_bare") or {}).items()):
            if isinstance(ratio, dict):
                rows.append(figure_row(f"checkout {name} one order's time vs 7 bare API POSTs",
                                       ratio.get("flow_time_ratio"), "x"))
                rows.append(figure_row(f"checkout {name} capacity vs 7 bare API POSTs",
                                       ratio.get("throughput_ratio"), "x"))
    elif key == "fulfillment":
        section = data.get("fulfillment") or {}
        for name in ("paid_to_shipment_created", "paid_to_label_stored",
                     "paid_to_shipped_email_sent"):
            for stat in ("p50_ms", "p95_ms"):
                rows.append(figure_row(f"fulfillment {name.replace('_', ' ')} "
                                       f"{stat[:3]}", _get(section, name, stat), "ms"))
    elif key == "soak":
        section = data.get("soak") or {}
        rows.append(figure_row("soak requests/s", _get(section, "traffic",
                                                         "requests_per_second"), "req/s"))
        rows.append(figure_row("soak 5xx", _get(section, "traffic", "server_errors"), "",
                               target="= 0"))
        rows.append(figure_row("soak passed", _get(section, "passed"), ""))
    return [row for row in rows if row["value"] is not None]


def _number(value) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return value if math.isfinite(value) else None


def meets(value, target: str | None) -> bool | None:
    """Whether ``value`` meets a target written "< 300", "<= 10", "> 5" or ">= 0.99"."""
    value = _number(value)
    if value is None or not target:
        return None
    text = target.strip()
    for sign, test in (("<=", lambda a, b: a <= b), (">=", lambda a, b: a >= b),
                       ("<", lambda a, b: a < b), (">", lambda a, b: a > b),
                       ("=", lambda a, b: a == b)):
        if text.startswith(sign):
            try:
                bound = float(text[len(sign):].strip().split()[0].replace(",", ""))
            except (ValueError, IndexError):
                return None
            return test(value, bound)
    return None


def figure_row(figure: str, value, unit: str = "", *, baseline=None,
               target: str | None = None) -> dict:
    value_n, baseline_n = _number(value), _number(baseline)
    ratio = round(value_n / baseline_n, 3) if value_n is not None and baseline_n else None
    return {"figure": figure, "value": value, "unit": unit, "baseline": baseline,
            "ratio": ratio, "target": target, "ok": meets(value, target)}


def machine() -> dict:
    """Where the figures came from (written beside them; the README quotes it)."""
    import os

    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"cpu": model or platform.processor(), "cpu_count": os.cpu_count(),
            "system": f"{platform.system()} {platform.release()}",
            "python": platform.python_version()}


def load(path: Path) -> dict:
    try:
        data = json.loads(Path(path).read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def merge_section(path: Path, key: str, section: dict) -> dict:
    """Put ``section`` under ``key`` in the JSON file, keeping every other key."""
    data = load(path)
    data[key] = section
    Path(path).write_text(json.dumps(data, indent=2, default=str) + "\n")
    return data


def rows_of(data: dict) -> list[tuple[str, dict | None]]:
    """(section, row) for every figure row, sections in ``ORDER`` then the rest; a section
    without a usable "figures" list gives one (section, None)."""
    keys = [key for key in ORDER if key in data or (key == "catalog" and "scenarios" in data)]
    keys += sorted(key for key in data if key not in ORDER and isinstance(data[key], dict)
                   and isinstance(data[key].get("figures"), list))
    out = []
    for key in keys:
        section = data.get(key)
        figures = section.get("figures") if isinstance(section, dict) else None
        rows = [row for row in figures or [] if isinstance(row, dict) and row.get("figure")]
        rows = rows or derived_rows(key, data)
        if rows:
            out += [(key, row) for row in rows]
        else:
            out.append((key, None))
    return out


def _show(value) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:,.3f}" if abs(value) < 10 else f"{value:,.1f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def table(data: dict) -> str:
    header = ["part", "figure", "value", "unit", "baseline", "ratio", "target", "ok"]
    lines = []
    for key, row in rows_of(data):
        if row is None:
            lines.append([key, "(no figure rows in this section; see the JSON)", "", "", "",
                          "", "", ""])
            continue
        ok = row.get("ok")
        lines.append([key, str(row.get("figure")), _show(row.get("value")),
                      str(row.get("unit") or ""), _show(row.get("baseline")),
                      _show(row.get("ratio")), str(row.get("target") or "-"),
                      "-" if ok is None else ("ok" if ok else "MISSED")])
    widths = [max(len(str(line[i])) for line in [header, *lines]) for i in range(len(header))]
    numeric = {2, 4, 5}
    out = []
    for index, line in enumerate([header, *lines]):
        cells = [str(cell).rjust(widths[i]) if i in numeric and index else
                 str(cell).ljust(widths[i]) for i, cell in enumerate(line)]
        out.append("  ".join(cells).rstrip())
        if index == 0:
            out.append("  ".join("-" * width for width in widths))
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    path = Path(argv[0] if argv else "bench-results.json")
    data = load(path)
    if not data:
        print(f"No results in {path}.")
        return 1
    print(table(data))
    missed = [row["figure"] for _, row in rows_of(data) if row and row.get("ok") is False]
    if missed:
        print(f"\n{len(missed)} figure(s) missed their target: {', '.join(missed)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
