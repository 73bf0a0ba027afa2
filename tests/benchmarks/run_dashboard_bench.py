"""`make bench`, fourth part: the merchant dashboards at scale.

1. Recreates the bench database (default postgres://postgres@127.0.0.1:5432/bench_dashboard,
   or DASHBOARD_BENCH_DATABASE_URL), migrates it and builds --orders orders for --customers
   customers over --days days with build_dashboard_data.py (set-based SQL, no ORM).
2. Runs the nightly rebuild (shop.dashboard.rollups.rebuild_rollups), timed: the roll-ups
   and facts the pages read, made by the shop's own code.
3. Serves the shop with gunicorn (production settings, 2 sync workers) and asks each
   dashboard page --requests times, one request at a time, for the last 30 days, this
   month, the last 90 and the last 365 days, as a logged-in merchant; reports p50/p95/max per page.
4. For comparison, times the sales figures computed straight from the orders table (the
   "indexes only" design) for the same ranges.
5. Prints a table and merges the figures into the JSON file under "dashboard".

Figures compare runs on one machine; no test asserts on them.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

REPO_ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO_ROOT))

from tests.benchmarks.build_dashboard_data import build  # noqa: E402
from tests.benchmarks.results import figure_row, machine, merge_section  # noqa: E402
from tests.benchmarks.run_catalog_bench import (  # noqa: E402
    BENCH_SETTINGS,
    Server,
    _run,
    free_port,
    log,
    percentile,
)

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/bench_dashboard"
PAGES = ["sales", "funnel", "customers", "fulfillment", "returns", "stock", "marketing"]
# p50 before issue 16, 1M orders / 100k customers on the 2-core bench machine (the 30-day
# and this-month pages were all under 300 ms; their exact figures were not kept).
BASELINE_P50_MS = {"customers 365d": 701, "fulfillment 365d": 1300, "returns 365d": 813}
TARGET_P50_MS, TARGET_P95_MS = 300, 500


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--days", type=int, default=730)
    parser.add_argument("--products", type=int, default=500)
    parser.add_argument("--requests", type=int, default=30, help="per page and range")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--reuse", action="store_true",
                        help="keep the database built by an earlier run (skip steps 1-2)")
    parser.add_argument("--pages", default=",".join(PAGES), help="comma-separated")
    parser.add_argument("--output", type=Path, default=Path("bench-results.json"))
    return parser.parse_args(argv)


def recreate(url: str) -> None:
    import psycopg2
    from psycopg2 import sql

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin = psycopg2.connect(urlunsplit(("postgresql", parts.netloc, "/postgres", "", "")))
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
            sql.Identifier(name)))
        cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    admin.close()


def get(port: int, path: str, cookie: str) -> tuple[int, float, int]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    began = time.perf_counter()
    connection.request("GET", path, headers={"Cookie": cookie, "Host": "127.0.0.1"})
    response = connection.getresponse()
    body = response.read()
    elapsed = (time.perf_counter() - began) * 1000
    connection.close()
    return response.status, elapsed, len(body)


def warm_up(server, path: str, cookie: str, workers: int) -> None:
    """Unmeasured requests that reach every worker: a worker's first request costs
    300-600 ms more (its database connection, templates compiled, lazy imports), paid once
    per process; sequential warm-ups can all land on one worker and leave that cost to a
    timed request (the 682 ms outlier of "sales 30d"). Rounds of ``workers`` concurrent
    requests (a busy sync worker does not accept, so each takes one) until every worker
    has served one of them (used CPU), at least three rounds."""
    from concurrent.futures import ThreadPoolExecutor

    served: set[int] = set()
    with ThreadPoolExecutor(workers) as pool:
        for round_no in range(10):
            before = server.cpu_seconds()
            statuses = list(pool.map(lambda _: get(server.port, path, cookie)[0],
                                     range(workers)))
            if any(status != 200 for status in statuses):
                raise RuntimeError(f"{path} answered {statuses}:\n{server.log_tail()}")
            after = server.cpu_seconds()
            served |= {pid for pid in after if after[pid] > before.get(pid, after[pid])}
            if round_no >= 2 and served >= after.keys():
                return


def merchant_cookie() -> str:
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.auth.models import Group
    from django.contrib.sessions.backends.db import SessionStore

    from tests.factories import UserFactory

    user = UserFactory(username="bench-merchant", is_staff=True)
    user.groups.add(Group.objects.get(name="Merchant"))
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.save()
    return f"sessionid={session.session_key}"


def direct_sales(first: date, last: date) -> float:
    """The sales figures straight from the orders and lines tables (no roll-up), in ms."""
    from django.db.models import Count, Sum

    from orders.models import OrderLine
    from shop.dashboard.periods import day_bounds
    from shop.dashboard.rollups import counted_orders

    start, end = day_bounds(first, last)
    began = time.perf_counter()
    placed = counted_orders().filter(placed_at__gte=start, placed_at__lt=end)
    placed.aggregate(n=Count("pk"), gross=Sum("subtotal"), disc=Sum("discount_amount"),
                     tax=Sum("tax_amount"), ship=Sum("shipping_amount"))
    list(OrderLine.objects.filter(order__in=placed.values("pk")).values("variant__product_id")
         .annotate(units=Sum("quantity")).order_by("-units")[:10])
    return (time.perf_counter() - began) * 1000


def main(argv=None) -> int:
    args = parse_args(argv)
    url = os.environ.get("DASHBOARD_BENCH_DATABASE_URL", DEFAULT_URL)
    workdir = Path(tempfile.mkdtemp(prefix="storefront-dashboard-bench-"))
    env = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": BENCH_SETTINGS,
           "BENCH_STATIC_ROOT": str(workdir / "static"), "PYTHONPATH": str(REPO_ROOT),
           "PYTHONUNBUFFERED": "1", "LOG_LEVEL": "WARNING"}
    env.pop("REDIS_URL", None)
    os.environ.update({k: env[k] for k in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE",
                                           "BENCH_STATIC_ROOT", "LOG_LEVEL")})
    os.environ.pop("REDIS_URL", None)
    report: dict = {"timestamp": datetime.now(UTC).isoformat(timespec="seconds"),
                    "machine": machine(),
                    "data_size": {"orders": args.orders, "customers": args.customers,
                                  "days": args.days}}
    manage = [sys.executable, "manage.py"]
    if not args.reuse:
        recreate(url)
        _run([*manage, "migrate", "--noinput", "-v", "0"], env, "migrate")
        log(f"building {args.orders:,} orders for {args.customers:,} customers "
            f"over {args.days} days (set-based SQL)")
        dsn = urlunsplit(("postgresql", *urlsplit(url)[1:]))
        report["data"] = build(dsn, orders=args.orders, customers=args.customers,
                               days=args.days, products=args.products,
                               log=lambda m: log(m))
        log(f"data built in {report['data']['seconds']['total']} s: {report['data']}")
    _run([*manage, "collectstatic", "--noinput", "-v", "0"], env, "collectstatic")
    import django

    django.setup()
    from django.db import connections

    from shop.dashboard import rollups

    if not args.reuse:
        began = time.perf_counter()
        run = rollups.rebuild_rollups()
        report["rebuild_seconds"] = round(time.perf_counter() - began, 1)
        report["rebuild_rows_checked"] = run.rows_checked
        log(f"nightly rebuild: {report['rebuild_seconds']} s, {run.rows_checked:,} rows")
    cookie = merchant_cookie()
    from shop.dashboard.periods import local_today

    today = local_today()
    ranges = {"30d": "range=30d", "month": "range=month",
              "90d": f"range=custom&start={today - timedelta(days=89)}&end={today}",
              "365d": f"range=custom&start={today - timedelta(days=364)}&end={today}"}
    report["direct_sales_ms"] = {}
    for name, days in (("30d", 30), ("365d", 365)):
        timings = sorted(direct_sales(today - timedelta(days=days - 1), today) for _ in range(5))
        report["direct_sales_ms"][name] = round(timings[2], 1)
    connections.close_all()

    server = Server(env=env, workers=args.workers, port=free_port(),
                    log_path=workdir / "gunicorn.log")
    results: dict = {}
    try:
        server.wait_ready()
        for page in args.pages.split(","):
            for range_name, query in ranges.items():
                path = f"/dashboard/{page}/?{query}"
                warm_up(server, path, cookie, args.workers)
                timings = sorted(get(server.port, path, cookie)[1]
                                 for _ in range(args.requests))
                results[f"{page} {range_name}"] = {
                    "path": path, "requests": len(timings),
                    "p50_ms": round(percentile(timings, 0.5), 1),
                    "p95_ms": round(percentile(timings, 0.95), 1),
                    "max_ms": round(timings[-1], 1)}
                row = results[f"{page} {range_name}"]
                log(f"{page:<12} {range_name:<6} p50 {row['p50_ms']:7.1f} ms   "
                    f"p95 {row['p95_ms']:7.1f} ms   max {row['max_ms']:7.1f} ms")
    finally:
        server.stop()
    merged = json.loads(args.output.read_text()) if args.output.exists() else {}
    # --reuse adds to the figures of the run that built the data
    if args.reuse and isinstance(merged.get("dashboard"), dict):
        report = {**merged["dashboard"], "pages": {**merged["dashboard"].get("pages", {}),
                                                   **results}}
    else:
        report["pages"] = results
    print("\npage          range    p50 ms   p95 ms")
    for key, row in results.items():
        page, range_name = key.split()
        print(f"{page:<13} {range_name:<6} {row['p50_ms']:8.1f} {row['p95_ms']:8.1f}")
    print(f"direct from orders (no roll-up), sales figures: {report['direct_sales_ms']} ms")
    scale = f"{report.get('data_size', {}).get('orders', args.orders):,} orders"
    report["figures"] = [
        row for key, page in sorted(report["pages"].items()) for row in (
            figure_row(f"dashboard {key} p50 ({scale})", page["p50_ms"], "ms",
                       baseline=BASELINE_P50_MS.get(key), target=f"< {TARGET_P50_MS}"),
            figure_row(f"dashboard {key} p95 ({scale})", page["p95_ms"], "ms",
                       target=f"< {TARGET_P95_MS}"))]
    if "rebuild_seconds" in report:
        report["figures"].append(figure_row(f"dashboard nightly rebuild ({scale})",
                                            report["rebuild_seconds"], "s"))
    if "data" in report:
        report["figures"].append(figure_row(f"dashboard data build ({scale})",
                                            report["data"]["seconds"]["total"], "s"))
    merge_section(args.output, "dashboard", report)
    log(f"results merged into {args.output} under 'dashboard'")
    slow = [key for key, row in results.items()
            if row["p50_ms"] >= TARGET_P50_MS or row["p95_ms"] >= TARGET_P95_MS]
    if slow:
        log(f"over {TARGET_P50_MS} ms at the median or {TARGET_P95_MS} ms at p95: {slow}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
