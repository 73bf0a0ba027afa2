"""`make bench`, second part: orders per second through the HTTP checkout on PostgreSQL.

1. Recreates ``<name>_bench`` (as the catalog bench does), migrates it, and sets up a shop:
   one warehouse, 20 products with plenty of stock, a "hot" SKU with plenty of stock, a
   "scarce" SKU with --scarce units, and a flat-rate shipping method.
2. Serves it with gunicorn (production settings, --workers sync workers). When Redis answers
   (BENCH_CHECKOUT_REDIS_URL, else REDIS_URL, else redis://127.0.0.1:6379/6; flushed first)
   it is the broker and cache, as in production, and a ``celery -A shop worker``
   (--concurrency) runs the tasks the orders queue; otherwise Celery runs eagerly in the
   web process, so the figures include every task's work. The mode is printed and stored.
3. Each client thread buys through the REST API, end to end per order: create cart, add a
   line, email, address, shipping method, place the order, pay with the offline gateway's
   4242 card (7 requests). Scenarios:
   - ``spread-N``: N clients buying random SKUs, for --duration seconds each;
   - ``hot``: every client buying the same SKU;
   - ``sold-out``: clients racing for the --scarce units of one SKU until --attempts orders
     were tried: 201 and 409 counts, and that no 5xx happened.
   - ``bare-api``: the same clients POSTing a small JSON body to /bench/bare-api/ (a DRF
     view with the checkout API's stack, no query): the floor of one API request. The
     flow's cost is reported against 7 of these (``cost_vs_bare``).
4. Prints a table and merges the figures under "checkout" into the JSON file (--output), so
   the catalog bench's figures stay beside them.

Figures are for comparing runs on one machine. No test asserts on them.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.benchmarks.run_catalog_bench import (  # noqa: E402
    BENCH_SETTINGS,
    DEFAULT_DATABASE_URL,
    REPO_ROOT,
    Server,
    _run,
    drop_database,
    free_port,
    log,
    percentile,
    prepare_database,
)
from tests.benchmarks.run_soak_bench import Celery  # noqa: E402

ADDRESS = {"first_name": "Bench", "last_name": "Buyer", "line1": "1 Load St", "city": "Reno",
           "region": "NV", "postal_code": "89502", "country": "US"}
CARD = {"number": "4242424242424242", "exp_month": 12, "exp_year": 2030, "cvc": "123"}

SETUP = """
from decimal import Decimal
from catalog import services as catalog
from inventory import services as inventory
from inventory.models import Warehouse
from orders.models import ShippingMethod, ShippingZone
from catalog.models import Product
import json
warehouse = Warehouse.objects.create(code="bench", name="Bench DC", priority=1)
category = catalog.create_category(name="Bench", slug="bench")
def variant(n, stock):
    product = catalog.save_product(product=Product(
        title=f"Bench item {n}", slug=f"bench-item-{n}", is_published=True, category=category))
    v = catalog.save_variant(product=product, sku=f"BENCH-{n}", price=Decimal("19.00"),
                             options={}, weight_grams=300)
    inventory.receive_stock(variant=v, warehouse=warehouse, quantity=stock, reference="bench")
    return v.pk
spread = [variant(n, 1_000_000) for n in range(20)]
hot = variant("hot", 1_000_000)
scarce = variant("scarce", SCARCE)
zone = ShippingZone.objects.create(name="US", countries="US")
method = ShippingMethod.objects.create(zone=zone, name="Standard", price=Decimal("5.00"))
print(json.dumps({"spread": spread, "hot": hot, "scarce": scarce, "method": method.pk}))
"""


class Stats:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.completed = 0
        self.statuses: dict[str, int] = {}
        self.place_ms: list[float] = []
        self.pay_ms: list[float] = []
        self.flow_ms: list[float] = []
        self.server_errors: list[str] = []
        self.attempts = 0

    def count(self, status: int) -> None:
        with self.lock:
            self.statuses[str(status)] = self.statuses.get(str(status), 0) + 1


def buy(session: requests.Session, base: str, variant_id: int, method_id: int,
        stats: Stats, n: int) -> None:
    """One order, end to end through the API."""
    started = time.perf_counter()

    def call(verb: str, url: str, body=None) -> requests.Response:
        response = session.request(verb, base + url, json=body, timeout=60)
        if response.status_code >= 500:
            with stats.lock:
                stats.server_errors.append(f"{verb} {url}: {response.status_code}")
        return response

    token = call("POST", "/api/carts/").json()["token"]
    if call("POST", f"/api/carts/{token}/lines/",
            {"variant_id": variant_id, "quantity": 1}).status_code != 201:
        stats.count(409)
        return
    call("PUT", f"/api/carts/{token}/email/", {"email": f"bench{n}@example.com"})
    call("PUT", f"/api/carts/{token}/shipping-address/", ADDRESS)
    call("PUT", f"/api/carts/{token}/shipping-method/", {"shipping_method_id": method_id})
    place_start = time.perf_counter()
    placed = call("POST", f"/api/carts/{token}/order/")
    place_ms = (time.perf_counter() - place_start) * 1000
    stats.count(placed.status_code)
    if placed.status_code != 201:
        return
    pay_start = time.perf_counter()
    paid = call("POST", f"/api/orders/{placed.json()['token']}/payments/", {"card": CARD})
    pay_ms = (time.perf_counter() - pay_start) * 1000
    with stats.lock:
        stats.place_ms.append(place_ms)
        if paid.status_code == 201:
            stats.pay_ms.append(pay_ms)
            stats.completed += 1
            stats.flow_ms.append((time.perf_counter() - started) * 1000)


def run_scenario(base: str, *, clients: int, seconds: float | None, attempts: int | None,
                 pick, method_id: int) -> dict:
    stats = Stats()
    deadline = time.perf_counter() + seconds if seconds else None
    counter = iter(range(10**9))
    counter_lock = threading.Lock()

    def client(index: int) -> None:
        session = requests.Session()
        rng = random.Random(index)
        while True:
            if deadline and time.perf_counter() >= deadline:
                return
            with counter_lock:
                n = next(counter)
                if attempts is not None and n >= attempts:
                    return
            try:
                buy(session, base, pick(rng), method_id, stats, n)
            except requests.RequestException as error:
                with stats.lock:
                    stats.server_errors.append(f"connection: {error}")

    started = time.perf_counter()
    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started

    def ms(values: list[float], fraction: float) -> float | None:
        value = percentile(sorted(values), fraction)
        return round(value, 1) if value is not None else None

    return {
        "clients": clients, "seconds": round(elapsed, 2),
        "orders_paid": stats.completed,
        "orders_per_second": round(stats.completed / elapsed, 2) if elapsed else None,
        "place_order_status_counts": stats.statuses,
        "place_order_p50_ms": ms(stats.place_ms, .5), "place_order_p95_ms": ms(stats.place_ms, .95),
        "pay_p50_ms": ms(stats.pay_ms, .5), "pay_p95_ms": ms(stats.pay_ms, .95),
        "order_flow_p50_ms": ms(stats.flow_ms, .5),
        "server_errors": len(stats.server_errors),
        "first_server_error": stats.server_errors[0] if stats.server_errors else None,
    }


def run_bare(base: str, *, clients: int, seconds: float) -> dict:
    """``clients`` threads POSTing to the bare API view for ``seconds``."""
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    deadline = time.perf_counter() + seconds

    def client(index: int) -> None:
        session = requests.Session()
        mine = []
        while time.perf_counter() < deadline:
            start = time.perf_counter()
            try:
                response = session.post(base + "/bench/bare-api/",
                                        json={"variant_id": index + 1, "quantity": 1},
                                        timeout=60)
            except requests.RequestException as error:
                with lock:
                    errors.append(f"connection: {error}")
                continue
            mine.append((time.perf_counter() - start) * 1000)
            if response.status_code != 201:
                with lock:
                    errors.append(f"POST /bench/bare-api/: {response.status_code}")
        with lock:
            latencies.extend(mine)

    started = time.perf_counter()
    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    ordered = sorted(latencies)
    p50 = percentile(ordered, .5)
    return {"clients": clients, "seconds": round(elapsed, 2), "requests": len(latencies),
            "requests_per_second": round(len(latencies) / elapsed, 1) if elapsed else None,
            "p50_ms": round(p50, 2) if p50 is not None else None,
            "server_errors": len(errors), "first_server_error": errors[0] if errors else None}


def cost_vs_bare(flow: dict, bare: dict) -> dict:
    """The order flow against 7 bare API requests: time (one client's flow p50 over 7 bare
    p50s) and throughput (7 bare requests' worth of capacity over the orders per second)."""
    ratio = {}
    if flow.get("order_flow_p50_ms") and bare.get("p50_ms"):
        ratio["flow_time_ratio"] = round(flow["order_flow_p50_ms"] / (7 * bare["p50_ms"]), 2)
    if flow.get("orders_per_second") and bare.get("requests_per_second"):
        ratio["throughput_ratio"] = round(
            bare["requests_per_second"] / 7 / flow["orders_per_second"], 2)
    return ratio


def broker_url() -> str | None:
    """The Redis URL when Redis answers (then it is the broker), else None (eager)."""
    url = (os.environ.get("BENCH_CHECKOUT_REDIS_URL") or os.environ.get("REDIS_URL")
           or "redis://127.0.0.1:6379/6")
    try:
        import redis

        client = redis.Redis.from_url(url, socket_connect_timeout=2)
        client.ping()
        client.flushdb()
    except Exception as error:  # noqa: BLE001 - any failure means "no broker": run eagerly
        log(f"Redis at {url} not usable ({error}); Celery runs eagerly")
        return None
    return url


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", default="1,4,8", help="client counts for spread rounds")
    parser.add_argument("--duration", type=float, default=15.0, help="seconds per round")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn sync workers")
    parser.add_argument("--concurrency", type=int, default=1,
                        help="celery worker processes (broker mode)")
    parser.add_argument("--scarce", type=int, default=50, help="units of the scarce SKU")
    parser.add_argument("--attempts", type=int, default=120, help="orders tried in sold-out")
    parser.add_argument("--output", type=Path, default=Path("bench-results.json"))
    parser.add_argument("--drop-db", action="store_true")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    started_at = datetime.now(UTC)
    workdir = Path(tempfile.mkdtemp(prefix="storefront-checkout-bench-"))
    server = worker = None
    database = prepare_database(os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL,
                                force_sqlite=False)
    try:
        if database.vendor != "postgresql":
            log("the checkout bench needs PostgreSQL; " + (database.note or ""))
        env = {**os.environ, "DATABASE_URL": database.url, "DJANGO_SETTINGS_MODULE": BENCH_SETTINGS,
               "BENCH_STATIC_ROOT": str(workdir / "static"),
               "PYTHONPATH": str(REPO_ROOT), "PYTHONUNBUFFERED": "1"}
        redis_url = broker_url()
        for name in ("REDIS_URL", "CELERY_BROKER_URL"):
            env.pop(name, None)
        if redis_url:
            env.update({"REDIS_URL": redis_url, "CELERY_BROKER_URL": redis_url})
        mode = "broker" if redis_url else "eager"
        manage = [sys.executable, "manage.py"]
        _run([*manage, "migrate", "--noinput", "-v", "0"], env, "migrate")
        _run([*manage, "collectstatic", "--noinput", "-v", "0"], env, "collectstatic")
        setup = _run([*manage, "shell", "-c", SETUP.replace("SCARCE", str(args.scarce))], env,
                     "set up the bench shop")
        shop = json.loads(setup.strip().splitlines()[-1])
        if redis_url:
            worker = Celery("worker", ["worker", "--loglevel=WARNING",
                                       f"--concurrency={args.concurrency}", "--without-gossip",
                                       "--without-mingle", "--without-heartbeat"],
                            env=env, workdir=workdir)
        server = Server(env=env, workers=args.workers, port=free_port(),
                        log_path=workdir / "gunicorn.log")
        server.wait_ready()
        base = f"http://127.0.0.1:{server.port}"
        log(f"gunicorn: {args.workers} sync workers on {base}; mode: {mode}"
            + (f" (Redis {redis_url}, celery worker concurrency {args.concurrency})"
               if redis_url else " (no Redis: Celery tasks run eagerly in the web process)"))
        results: dict[str, dict] = {}
        # Warm-up: a few orders so every worker has connections and templates loaded.
        run_scenario(base, clients=2, seconds=None, attempts=8,
                     pick=lambda rng: rng.choice(shop["spread"]), method_id=shop["method"])
        for clients in [int(c) for c in args.clients.split(",")]:
            results[f"spread-{clients}"] = run_scenario(
                base, clients=clients, seconds=args.duration, attempts=None,
                pick=lambda rng: rng.choice(shop["spread"]), method_id=shop["method"])
            log(f"spread-{clients}: {results[f'spread-{clients}']['orders_per_second']} orders/s")
        client_counts = [int(c) for c in args.clients.split(",")]
        bare = {clients: run_bare(base, clients=clients, seconds=min(args.duration, 10.0))
                for clients in sorted({min(client_counts), max(client_counts)})}
        for clients, row in bare.items():
            log(f"bare-api-{clients}: {row['requests_per_second']} requests/s, "
                f"p50 {row['p50_ms']} ms")
        hot_clients = max(client_counts)
        results["hot"] = run_scenario(base, clients=hot_clients, seconds=args.duration,
                                      attempts=None, pick=lambda rng: shop["hot"],
                                      method_id=shop["method"])
        log(f"hot: {results['hot']['orders_per_second']} orders/s")
        results["sold-out"] = run_scenario(base, clients=hot_clients, seconds=None,
                                           attempts=args.attempts,
                                           pick=lambda rng: shop["scarce"],
                                           method_id=shop["method"])
        sold = results["sold-out"]
        sold["scarce_units"] = args.scarce
        sold["oversold"] = sold["place_order_status_counts"].get("201", 0) > args.scarce
        log(f"sold-out: {sold['place_order_status_counts']} for {args.scarce} units")

        ratios = {f"spread-{clients}": cost_vs_bare(results[f"spread-{clients}"],
                                                    bare[min(bare, key=lambda c: abs(c - clients))])
                  for clients in client_counts}
        ratios["hot"] = cost_vs_bare(results["hot"], bare[max(bare)])
        print()
        print(f"mode: {mode}")
        print(f"{'scenario':<11}{'clients':>8}{'orders/s':>10}{'paid':>7}{'place p50':>11}"
              f"{'place p95':>11}{'pay p50':>9}{'5xx':>6}  place-order answers")
        for name, row in results.items():
            print(f"{name:<11}{row['clients']:>8}{row['orders_per_second'] or 0:>10.2f}"
                  f"{row['orders_paid']:>7}{row['place_order_p50_ms'] or 0:>9.1f}ms"
                  f"{row['place_order_p95_ms'] or 0:>9.1f}ms{row['pay_p50_ms'] or 0:>7.1f}ms"
                  f"{row['server_errors']:>6}  {row['place_order_status_counts']}")
        for clients, row in bare.items():
            print(f"{'bare-api':<11}{clients:>8}{row['requests_per_second'] or 0:>10.1f} "
                  f"requests/s, p50 {row['p50_ms'] or 0:.2f}ms")
        for name, ratio in ratios.items():
            print(f"cost of one order vs 7 bare API requests, {name}: "
                  f"time x{ratio.get('flow_time_ratio')}, "
                  f"capacity x{ratio.get('throughput_ratio')}")
        hot, spread = results["hot"], results[f"spread-{hot_clients}"] \
            if f"spread-{hot_clients}" in results else None
        hot_vs_spread = (round(hot["orders_per_second"] / spread["orders_per_second"], 2)
                         if spread and spread["orders_per_second"] else None)
        print(f"hot vs spread-{hot_clients}: x{hot_vs_spread}")
        report = json.loads(args.output.read_text()) if args.output.exists() else {}
        report["checkout"] = {
            "timestamp": started_at.isoformat(timespec="seconds"),
            "database": database.vendor,
            "mode": mode,
            "bare_api": {f"clients-{clients}": row for clients, row in bare.items()},
            "cost_vs_bare": ratios,
            "hot_vs_spread": hot_vs_spread,
            "settings": {"workers": args.workers, "round_seconds": args.duration,
                         "celery": (f"broker (Redis), worker concurrency {args.concurrency}"
                                    if redis_url else "eager, in the web process"),
                         "client": "python requests threads, one session each",
                         "flow": "create cart, add line, email, address, shipping method, "
                                 "place order, pay (offline 4242)"},
            "scenarios": results,
        }
        args.output.write_text(json.dumps(report, indent=2) + "\n")
        log(f"results merged into {args.output} under 'checkout'")
        bad = [name for name, row in results.items() if row["server_errors"]] + [
            f"bare-api-{clients}" for clients, row in bare.items() if row["server_errors"]]
        if bad or sold["oversold"]:
            log(f"ERROR: server errors in {bad}" if bad else "ERROR: the scarce SKU oversold")
            return 1
        return 0
    finally:
        if server is not None:
            server.stop()
        if worker is not None:
            worker.stop()
        if args.drop_db:
            drop_database(database)
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
