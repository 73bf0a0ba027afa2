"""`make bench`, last part: `manage.py import_products` of a large Shopify CSV.

1. Writes a --rows (10,000) row Shopify product CSV: a small sample export (a product with
   size and colour variants, a single-variant "Default Title" product, a product whose
   variants have no SKU, a draft) repeated with new handles; no image URLs.
2. Recreates `<name>_bench` beside DATABASE_URL's database (PostgreSQL) and migrates it.
3. Times `manage.py import_products FILE --no-fetch-images` in a fresh process, as a
   merchant runs it in production (tasks go to a Redis broker, BENCH_IMPORT_REDIS_URL,
   default db 13, flushed before and after; no worker runs them, so the low-stock checks the
   import queues are not part of the time), and checks its summary (every product created,
   nothing skipped).
4. Prints the figures and merges them into the JSON file under "import".

`--row-by-row` switches the batched lane off (inventory.shopify_batch.FAST_LANE), for the
old figure; use a small --rows with it (about 35 ms a row).
"""

from __future__ import annotations

import argparse
import csv
import os
import re
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO_ROOT))

from tests.benchmarks.results import figure_row, machine, merge_section  # noqa: E402
from tests.benchmarks.run_catalog_bench import _run, drop_database, log, prepare_database  # noqa: E402

BASELINE_SECONDS = 349.0  # 10,000 rows row by row on the 2-core bench machine, before batching
TARGET_SECONDS = 10
COLUMNS = [
    "Handle", "Title", "Body (HTML)", "Vendor", "Type", "Tags", "Published", "Option1 Name",
    "Option1 Value", "Option2 Name", "Option2 Value", "Option3 Name", "Option3 Value",
    "Variant SKU", "Variant Grams", "Variant Inventory Qty", "Variant Price",
    "Variant Compare At Price", "Variant Barcode", "Image Src", "Image Position",
    "Image Alt Text", "SEO Title", "SEO Description", "Status",
]


def sample(n: int) -> list[dict]:
    """Shopify's export of four products, their handles and SKUs numbered ``n``."""
    runner, mug, cap, proto = f"trail-runner-{n}", f"camp-mug-{n}", f"wool-cap-{n}", f"proto-{n}"
    rows = [{"Handle": runner, "Title": f"Trail Runner {n}",
             "Body (HTML)": "<p>Grippy <b>trail</b> shoe,\nlight on rocks.</p>",
             "Vendor": "Summit Lab", "Type": "Shoes", "Tags": "running, trail",
             "Published": "TRUE", "Option1 Name": "Size", "Option1 Value": "9",
             "Option2 Name": "Color", "Option2 Value": "Red", "Variant SKU": f"TR{n}-9-RED",
             "Variant Grams": "300.0", "Variant Inventory Qty": "5", "Variant Price": "120.00",
             "Variant Compare At Price": "150.00", "Variant Barcode": f"0{n}",
             "SEO Title": "Trail Runner", "SEO Description": "A grippy trail shoe.",
             "Status": "active"}]
    for size in ("9", "10", "11"):
        for color in ("Red", "Blue"):
            if (size, color) != ("9", "Red"):
                rows.append({"Handle": runner, "Option1 Value": size, "Option2 Value": color,
                             "Variant SKU": f"TR{n}-{size}-{color.upper()}",
                             "Variant Grams": "300", "Variant Inventory Qty": "3",
                             "Variant Price": "120.00"})
    rows.append({"Handle": mug, "Title": f"Camp Mug {n}", "Body (HTML)": "<p>Enamel mug.</p>",
                 "Vendor": "Campfire Co", "Type": "Kitchen", "Tags": "mug", "Published": "TRUE",
                 "Option1 Name": "Title", "Option1 Value": "Default Title",
                 "Variant SKU": f"MUG-{n}", "Variant Grams": "250",
                 "Variant Inventory Qty": "12", "Variant Price": "18.00", "Status": "active"})
    rows.append({"Handle": cap, "Title": f"Wool Cap {n}", "Body (HTML)": "<p>Warm.</p>",
                 "Vendor": "Loom", "Type": "Apparel", "Published": "TRUE",
                 "Option1 Name": "Color", "Option1 Value": "Grey", "Variant Price": "24.00",
                 "Variant Inventory Qty": "4"})
    rows.append({"Handle": cap, "Option1 Value": "Navy", "Variant Price": "24.00",
                 "Variant Inventory Qty": "0"})
    rows.append({"Handle": proto, "Title": f"Prototype {n}", "Published": "TRUE",
                 "Status": "draft", "Variant SKU": f"PROTO-{n}", "Variant Price": "1.00"})
    return rows


def write_file(path: Path, rows: int) -> tuple[int, int]:
    """The CSV with exactly ``rows`` rows; returns (rows, products)."""
    written, handles, n = 0, set(), 0
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS)
        writer.writeheader()
        while written < rows:
            n += 1
            for row in sample(n):
                if written == rows:
                    break
                if row["Handle"] not in handles and not row.get("Title"):
                    continue  # a cut-off product keeps its first row
                writer.writerow(row)
                handles.add(row["Handle"])
                written += 1
    return written, len(handles)


def flush_redis(url: str) -> int:
    """Empty the bench's Redis db; returns how many keys it held."""
    import redis

    client = redis.Redis.from_url(url)
    keys = client.dbsize()
    client.flushdb()
    return keys


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--row-by-row", action="store_true",
                        help="switch the batched lane off (the old path), for comparison")
    parser.add_argument("--keep-db", action="store_true")
    parser.add_argument("--output", type=Path, default=Path("bench-results.json"))
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    source = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/storefront")
    database = prepare_database(source, force_sqlite=False)
    if database.note:
        log(database.note)
    workdir = Path(tempfile.mkdtemp(prefix="storefront-import-bench-"))
    path = workdir / "products.csv"
    rows, products = write_file(path, args.rows)
    log(f"{path}: {rows:,} rows, {products:,} products")
    env = {**os.environ, "DATABASE_URL": database.url, "PYTHONPATH": str(REPO_ROOT),
           "DJANGO_SETTINGS_MODULE": "shop.settings.local", "PYTHONUNBUFFERED": "1"}
    redis_url = os.environ.get("BENCH_IMPORT_REDIS_URL", "redis://127.0.0.1:6379/13")
    env["REDIS_URL"] = redis_url
    env.pop("CELERY_BROKER_URL", None)
    flush_redis(redis_url)
    try:
        _run([sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], env, "migrate")
        code = ("import sys, django; django.setup(); "
                "import inventory.shopify_batch as b; b.FAST_LANE = False; "
                "from django.core.management import call_command; "
                "call_command('import_products', *sys.argv[1:])") if args.row_by_row else None
        command = ([sys.executable, "-c", code] if code else
                   [sys.executable, "manage.py", "import_products"])
        command += [str(path), "--no-fetch-images"]
        began = time.perf_counter()
        finished = subprocess.run(command, env=env, cwd=REPO_ROOT, capture_output=True,
                                  text=True)
        seconds = time.perf_counter() - began
        queued = flush_redis(redis_url)
    finally:
        if not args.keep_db:
            drop_database(database)
    if finished.returncode != 0:
        log(f"import failed ({finished.returncode}):\n{finished.stderr[-3000:]}")
        return 1
    summary = finished.stdout.strip().splitlines()[-1]
    created = re.search(r"Products: (\d+) created", summary)
    skipped = re.search(r"Skipped: (\d+) of", summary)
    complete = (created and int(created.group(1)) == products and skipped
                and int(skipped.group(1)) == 0)
    log(f"{summary}")
    log(f"import of {rows:,} rows: {seconds:.1f} s, {rows / seconds:,.0f} rows/s"
        + ("" if complete else "  *** not every product was created ***"))
    lane = "row by row" if args.row_by_row else "batched"
    scale = rows / 10_000
    figures = [
        figure_row(f"import {rows:,} rows ({lane}), seconds", round(seconds, 2), "s",
                   baseline=round(BASELINE_SECONDS * scale, 1),
                   target=f"< {TARGET_SECONDS * scale:g}"),
        figure_row("import rows per second", round(rows / seconds), "rows/s",
                   baseline=round(10_000 / BASELINE_SECONDS)),
    ]
    merge_section(args.output, "import", {
        "timestamp": datetime.now(UTC).isoformat(timespec="seconds"), "machine": machine(),
        "database": database.vendor, "rows": rows, "products": products, "lane": lane,
        "seconds": round(seconds, 2), "rows_per_second": round(rows / seconds, 1),
        "summary": summary, "complete": bool(complete), "redis_keys_after": queued,
        "figures": figures})
    log(f"results merged into {args.output} under 'import'")
    return 0 if complete else 1


if __name__ == "__main__":
    sys.exit(main())
