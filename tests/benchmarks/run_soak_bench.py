"""`make bench`, soak: minutes of steady browsing and checkouts with the worker and beat running.

1. Recreates ``<name>_soak_bench`` beside the database in DATABASE_URL (PostgreSQL only),
   migrates it, builds a catalog with build_catalog.py (--products), and gives --skus
   moderately priced variants plenty of stock and a flat-rate shipping method.
2. Starts, all on one Redis db (BENCH_SOAK_REDIS_URL, default redis://127.0.0.1:6379/6,
   flushed first) for broker and cache: gunicorn (--workers sync workers, bench_settings),
   ``celery -A shop worker`` (prefork, --concurrency) and ``celery -A shop beat``, with every
   "sweep-*" beat entry shortened to --sweep seconds (BENCH_SWEEP_SECONDS).
3. For --minutes, --clients threads (one keep-alive ``requests`` session each, 127.0.0.1
   only) share a pacer of --rate requests per second. Each visit is one storefront page
   (home, a category page, a search, a product page) or, with probability --checkout-share,
   a full checkout: product page, then through the REST API create cart, add a line, email,
   address, shipping method, review (read the cart), place the order, pay with the offline
   gateway's 4242 card (9 requests). A checkout under way when time is up is finished.
4. After traffic stops it waits (at most --drain seconds) until the queue is empty, every
   sweep has been sent by beat at least once more, and every order is fully processed, then
   reports requests by status and kind, 5xx, orders placed vs fully processed, ERROR lines in
   the worker's log (reported, not a failure), and the RSS of
   the gunicorn master + workers, the celery worker + pool and beat (from /proc): before
   traffic, after --warmup seconds of it ("start") and at the end. Merged under "soak" in
   the JSON file (--output).

"Fully processed": payment_status paid, the confirmation and the receipt OrderNotification
sent (sent_at set), and at least one fulfillment Shipment created: everything the system
does on its own after payment (picking and packing wait for staff).

Exit status 1 on any 5xx, a request with no answer, a process that died, or placed !=
fully processed. Subprocesses are stopped and the database dropped at the end, on error
and on Ctrl-C (--keep-db keeps the database).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote, urlsplit

import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.benchmarks.run_catalog_bench import (  # noqa: E402
    BENCH_SETTINGS,
    DEFAULT_DATABASE_URL,
    REPO_ROOT,
    Server,
    _die_with_parent,
    _run,
    _with_path,
    drop_database,
    free_port,
    log,
    percentile,
    prepare_database,
    scenario_paths,
)

ADDRESS = {"first_name": "Soak", "last_name": "Buyer", "line1": "1 Load St", "city": "Reno",
           "region": "NV", "postal_code": "89502", "country": "US"}
CARD = {"number": "4242424242424242", "exp_month": 12, "exp_year": 2030, "cvc": "123"}
BROWSE_MIX = [("home", 15), ("category", 30), ("search", 20), ("product", 35)]

# Prices 20-80 at quantity 1 keep every order near the shop's average, so fraud screening
# (one client IP places every order: +30, under the hold score of 60) holds none for review.
SETUP = """
import json
from decimal import Decimal
from catalog.models import Variant
from inventory import services as inventory
from inventory.models import Warehouse
from orders.models import ShippingMethod, ShippingZone
warehouse = Warehouse.objects.get(code="bench-east")
variants = list(Variant.objects.filter(is_active=True, product__is_published=True,
                                       price__gte=20, price__lte=80)
                .select_related("product").order_by("pk")[:SKUS])
for variant in variants:
    inventory.receive_stock(variant=variant, warehouse=warehouse, quantity=1_000_000,
                            reference="soak")
zone = ShippingZone.objects.create(name="US", countries="US")
method = ShippingMethod.objects.create(zone=zone, name="Standard", price=Decimal("5.00"))
print(json.dumps({"skus": [[v.pk, v.product.slug] for v in variants], "method": method.pk}))
"""


# --- Processes and their memory -------------------------------------------------------------

class Celery:
    """``celery -A shop <command>`` in its own session (Ctrl-C reaches only the harness)."""

    def __init__(self, name: str, arguments: list[str], *, env: dict, workdir: Path):
        self.name, self.log_path = name, workdir / f"{name}.log"
        self._log = open(self.log_path, "wb")  # closed in stop()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "shop", *arguments], env=env, cwd=workdir,
            stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True,
            preexec_fn=_die_with_parent)

    def log_text(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()  # warm shutdown: finishes the task in hand
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                pass
        try:
            os.killpg(self.process.pid, signal.SIGKILL)  # its group: this process and its pool
        except ProcessLookupError:
            pass
        self.process.wait()
        self._log.close()


def child_pids(parent: int) -> list[int]:
    pids = []
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == parent:
            pids.append(int(entry.name))
    return sorted(pids)


def rss_kib(pid: int) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return None


def memory_snapshot(groups: dict[str, int]) -> dict[str, dict[int, int]]:
    """{group: {pid: RSS KiB}} for each group's main process and its children."""
    snapshot = {}
    for name, main_pid in groups.items():
        pids = [main_pid, *child_pids(main_pid)]
        snapshot[name] = {pid: kib for pid in pids if (kib := rss_kib(pid)) is not None}
    return snapshot


# --- Traffic ---------------------------------------------------------------------------------

class Aborted(Exception):
    """Ctrl-C or an error elsewhere: stop at once, even mid-checkout."""


class Pacer:
    """One shared schedule of --rate request slots per second. A slot more than a second
    late (the server fell behind) is dropped rather than fired in a burst later."""

    def __init__(self, rate: float, stop: threading.Event):
        self.interval, self.stop = 1.0 / rate, stop
        self.next = time.perf_counter()
        self.lock = threading.Lock()
        self.dropped = 0

    def wait(self) -> None:
        with self.lock:
            now = time.perf_counter()
            if self.next < now - 1.0:
                self.dropped += int((now - self.next) / self.interval)
                self.next = now
            slot, self.next = self.next, self.next + self.interval
        delay = slot - time.perf_counter()
        if (delay > 0 and self.stop.wait(delay)) or self.stop.is_set():
            raise Aborted


class Tally:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.statuses: Counter[str] = Counter()
        self.latencies: dict[str, list[float]] = {}
        self.kind_statuses: dict[str, Counter[str]] = {}
        self.server_errors: list[str] = []
        self.no_answer: list[str] = []
        self.unexpected: list[str] = []  # 4xx in a checkout, which should never happen
        self.visits = Counter()
        self.placed = 0
        self.paid = 0

    def record(self, kind: str, status: str, seconds: float, detail: str) -> None:
        with self.lock:
            self.statuses[status] += 1
            self.latencies.setdefault(kind, []).append(seconds * 1000)
            self.kind_statuses.setdefault(kind, Counter())[status] += 1
            if status.isdigit() and int(status) >= 500:
                self.server_errors.append(detail)
            elif not status.isdigit():
                self.no_answer.append(detail)

    @property
    def requests(self) -> int:
        with self.lock:
            return sum(self.statuses.values())


class Client:
    def __init__(self, index: int, base: str, shop: dict, paths: dict, pacer: Pacer,
                 tally: Tally):
        self.rng = random.Random(index)
        self.session = requests.Session()
        self.base, self.shop, self.paths, self.pacer, self.tally = base, shop, paths, pacer, tally

    def call(self, kind: str, verb: str, path: str, body=None, *,
             expect: int | None = None) -> requests.Response | None:
        self.pacer.wait()
        began = time.perf_counter()
        headers = {"Accept": "application/json" if path.startswith("/api/") else "text/html"}
        try:
            response = self.session.request(verb, self.base + path, json=body, headers=headers,
                                            timeout=60)
        except requests.RequestException as error:
            self.tally.record(kind, type(error).__name__, time.perf_counter() - began,
                              f"{verb} {path}: {error}")
            return None
        self.tally.record(kind, str(response.status_code), time.perf_counter() - began,
                          f"{verb} {path}: {response.status_code} {response.text[:300]!r}")
        if expect is not None and response.status_code != expect \
                and response.status_code < 500:
            with self.tally.lock:
                self.tally.unexpected.append(f"{verb} {path}: {response.status_code} "
                                             f"{response.text[:300]!r}")
            return None
        return response if response.status_code < 400 else None

    def browse(self) -> None:
        kind = self.rng.choices([k for k, _ in BROWSE_MIX], [w for _, w in BROWSE_MIX])[0]
        with self.tally.lock:
            self.tally.visits[kind] += 1
        self.call(kind, "GET", self.rng.choice(self.paths[kind]))

    def checkout(self, n: int) -> None:
        with self.tally.lock:
            self.tally.visits["checkout"] += 1
        variant_id, slug = self.rng.choice(self.shop["skus"])
        if not self.call("product", "GET", f"/p/{slug}/"):
            return
        cart = self.call("api:cart", "POST", "/api/carts/", expect=201)
        if cart is None:
            return
        token = cart.json()["token"]
        steps = [
            ("api:line", "POST", f"/api/carts/{token}/lines/",
             {"variant_id": variant_id, "quantity": 1}, 201),
            ("api:email", "PUT", f"/api/carts/{token}/email/",
             {"email": f"soak{n}@example.com"}, 200),
            ("api:address", "PUT", f"/api/carts/{token}/shipping-address/", ADDRESS, 200),
            ("api:shipping", "PUT", f"/api/carts/{token}/shipping-method/",
             {"shipping_method_id": self.shop["method"]}, 200),
            ("api:review", "GET", f"/api/carts/{token}/", None, 200),
        ]
        for kind, verb, path, body, expect in steps:
            if self.call(kind, verb, path, body, expect=expect) is None:
                return
        placed = self.call("api:place", "POST", f"/api/carts/{token}/order/", expect=201)
        if placed is None:
            return
        with self.tally.lock:
            self.tally.placed += 1
        paid = self.call("api:pay", "POST", f"/api/orders/{placed.json()['token']}/payments/",
                         {"card": CARD}, expect=201)
        if paid is not None:
            with self.tally.lock:
                self.tally.paid += 1


def traffic(args, base: str, shop: dict, paths: dict, pacer: Pacer, tally: Tally,
            deadline: float, failed: list[str]) -> list[threading.Thread]:
    counter = iter(range(10**9))
    counter_lock = threading.Lock()

    def run(index: int) -> None:
        client = Client(index, base, shop, paths, pacer, tally)
        try:
            while time.perf_counter() < deadline:  # a checkout under way is finished
                if client.rng.random() < args.checkout_share:
                    with counter_lock:
                        n = next(counter)
                    client.checkout(n)
                else:
                    client.browse()
        except Aborted:
            pass
        except Exception as error:  # a harness bug: stop everything, say so
            failed.append(f"client {index}: {type(error).__name__}: {error}")
            pacer.stop.set()

    threads = [threading.Thread(target=run, args=(i,), daemon=True)
               for i in range(args.clients)]
    for thread in threads:
        thread.start()
    return threads


def browse_paths(manifest: dict) -> dict[str, list[str]]:
    paths = scenario_paths(manifest)
    others = [f"/c/{item['slug']}/" for item in manifest["categories"]
              if item["listed_products"] and item["slug"] != manifest["bench_category"]]
    return {"home": ["/"], "category": paths["category"] + others,
            "search": paths["search"] + [f"/search/?q={quote(q)}" for q in ("lan", "wool", "pan")],
            "product": paths["product"]}


# --- Orders, from the database ---------------------------------------------------------------

def order_counts() -> dict[str, int]:
    from django.db import connection
    from django.db.models import Exists, OuterRef

    from fulfillment.models import Shipment
    from orders.models import Order, OrderNotification

    def sent(kind: str):
        return Exists(OrderNotification.objects.filter(order=OuterRef("pk"), kind=kind,
                                                       sent_at__isnull=False))

    orders = Order.objects.all()
    paid = orders.filter(payment_status=Order.PaymentStatus.PAID)
    shipped = Exists(Shipment.objects.filter(order=OuterRef("pk")))
    counts = {
        "placed": orders.count(),
        "paid": paid.count(),
        "confirmation_sent": orders.filter(sent(OrderNotification.Kind.CONFIRMATION)).count(),
        "receipt_sent": orders.filter(sent(OrderNotification.Kind.RECEIPT)).count(),
        "with_shipment": orders.filter(shipped).count(),
        "held_for_review": orders.filter(risk=Order.Risk.HELD).count(),
        "canceled": orders.filter(status=Order.Status.CANCELED).count(),
        "fully_processed": paid.filter(sent(OrderNotification.Kind.CONFIRMATION))
        .filter(sent(OrderNotification.Kind.RECEIPT)).filter(shipped).count(),
    }
    connection.close()
    return counts


def queue_depth(redis_client) -> int:
    """Messages waiting in every queue (shop/queues.py) plus delivered-but-unacknowledged
    ones."""
    from shop.queues import queue_names

    return (sum(int(redis_client.llen(name)) for name in queue_names())
            + int(redis_client.hlen("unacked")))


def sweeps_sent(beat: Celery, names: list[str]) -> Counter[str]:
    text = beat.log_text()
    return Counter({name: text.count(f"Sending due task {name} ") for name in names})


# --- Main ------------------------------------------------------------------------------------

def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=10.0, help="minutes of traffic")
    parser.add_argument("--rate", type=float, default=8.0, help="requests per second, target")
    parser.add_argument("--clients", type=int, default=4, help="client threads")
    parser.add_argument("--checkout-share", type=float, default=0.1,
                        help="share of visits that are a full checkout (9 requests)")
    parser.add_argument("--warmup", type=float, default=30.0,
                        help="seconds of traffic before the 'start' memory reading "
                             "(at most a quarter of the run)")
    parser.add_argument("--drain", type=float, default=120.0,
                        help="at most this many seconds waiting for the work to finish")
    parser.add_argument("--sweep", type=float, default=30.0,
                        help="seconds between beat's sweeps (BENCH_SWEEP_SECONDS)")
    parser.add_argument("--sample", type=float, default=15.0, help="memory sample seconds")
    parser.add_argument("--products", type=int, default=2000)
    parser.add_argument("--skus", type=int, default=40, help="variants bought at checkout")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers")
    parser.add_argument("--concurrency", type=int, default=2, help="celery worker processes")
    parser.add_argument("--output", type=Path, default=Path("bench-results.json"))
    parser.add_argument("--keep-db", action="store_true", help="keep the soak database")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)

    def on_sigterm(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_sigterm)
    started_at = datetime.now(UTC)
    workdir = Path(tempfile.mkdtemp(prefix="storefront-soak-bench-"))
    source = os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL
    stem = urlsplit(source).path.lstrip("/") or "storefront"
    stem = stem.removesuffix("_bench")
    database = prepare_database(_with_path(source, f"{stem}_soak"), force_sqlite=False)
    redis_url = os.environ.get("BENCH_SOAK_REDIS_URL", "redis://127.0.0.1:6379/6")
    stop = threading.Event()
    server = worker = beat = redis_client = None
    threads: list[threading.Thread] = []
    try:
        if database.vendor != "postgresql":
            raise SystemExit(f"the soak needs PostgreSQL: {database.note}")
        log(f"soak database: {database.name}; Redis {redis_url}")
        env = {**os.environ, "DATABASE_URL": database.url, "REDIS_URL": redis_url,
               "CELERY_BROKER_URL": redis_url, "DJANGO_SETTINGS_MODULE": BENCH_SETTINGS,
               "BENCH_STATIC_ROOT": str(workdir / "static"), "MEDIA_ROOT": str(workdir / "media"),
               "BENCH_SWEEP_SECONDS": str(args.sweep),
               "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO_ROOT),
                                                           os.environ.get("PYTHONPATH")])),
               "PYTHONUNBUFFERED": "1"}
        os.environ.update({k: env[k] for k in ("DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL",
                                               "DJANGO_SETTINGS_MODULE", "BENCH_STATIC_ROOT",
                                               "MEDIA_ROOT", "BENCH_SWEEP_SECONDS")})
        manage = [sys.executable, "manage.py"]
        _run([*manage, "migrate", "--noinput", "-v", "0"], env, "migrate")
        _run([*manage, "collectstatic", "--noinput", "-v", "0"], env, "collectstatic")
        manifest_path = workdir / "manifest.json"
        _run([sys.executable, str(Path(__file__).with_name("build_catalog.py")),
              "--products", str(args.products), "--manifest", str(manifest_path)], env,
             f"build {args.products:,}-product catalog")
        paths = browse_paths(json.loads(manifest_path.read_text()))
        shop = json.loads(_run([*manage, "shell", "-c", SETUP.replace("SKUS", str(args.skus))],
                               env, "stock and shipping for checkout").strip().splitlines()[-1])
        if not shop["skus"]:
            raise RuntimeError("no variant priced 20-80 to buy")

        import redis

        redis_client = redis.Redis.from_url(redis_url)
        redis_client.flushdb()
        worker = Celery("worker", ["worker", "--loglevel=WARNING",
                                   f"--concurrency={args.concurrency}", "--without-gossip",
                                   "--without-mingle", "--without-heartbeat"],
                        env=env, workdir=workdir)
        beat = Celery("beat", ["beat", "--loglevel=INFO",
                               f"--schedule={workdir / 'celerybeat-schedule'}",
                               f"--pidfile={workdir / 'beat.pid'}"], env=env, workdir=workdir)
        server = Server(env=env, workers=args.workers, port=free_port(),
                        log_path=workdir / "gunicorn.log")
        server.wait_ready()
        base = f"http://127.0.0.1:{server.port}"
        log(f"gunicorn: {args.workers} sync workers on {base}; celery worker "
            f"(concurrency {args.concurrency}) and beat (sweeps every {args.sweep:g} s)")

        import django

        django.setup()
        from django.conf import settings

        sweep_names = sorted(name for name in settings.CELERY_BEAT_SCHEDULE
                             if name.startswith("sweep-"))
        processes = {"web": server.process, "worker": worker.process, "beat": beat.process}
        groups = {name: process.pid for name, process in processes.items()}
        time.sleep(3)  # let the worker's pool and beat finish starting
        idle = memory_snapshot(groups)

        def dead() -> list[str]:
            return [name for name, process in processes.items() if process.poll() is not None]

        seconds = args.minutes * 60
        warmup = min(args.warmup, seconds / 4)
        pacer, tally, failed = Pacer(args.rate, stop), Tally(), []
        log(f"traffic: {args.minutes:g} min at {args.rate:g} req/s, {args.clients} clients, "
            f"{args.checkout_share:.0%} of visits a checkout; memory baseline after "
            f"{warmup:.0f} s")
        began = time.perf_counter()
        threads = traffic(args, base, shop, paths, pacer, tally, began + seconds, failed)
        samples, start = [], None
        next_sample, next_log = began + warmup, began + 30
        while any(thread.is_alive() for thread in threads):
            time.sleep(0.5)
            now = time.perf_counter()
            if died := dead():
                failed.append(f"died during traffic: {died}")
                stop.set()
            if now >= next_sample:
                snapshot = memory_snapshot(groups)
                start = start or snapshot
                samples.append({"seconds": round(now - began, 1),
                                **{name: sum(pids.values()) for name, pids in snapshot.items()}})
                next_sample = now + args.sample
            if now >= next_log:
                with tally.lock:
                    placed, errors = tally.placed, len(tally.server_errors)
                log(f"{now - began:5.0f} s: {tally.requests} requests, {errors} 5xx, "
                    f"{placed} orders placed")
                next_log = now + 30
        elapsed = time.perf_counter() - began
        for thread in threads:
            thread.join()
        requests_total = tally.requests
        log(f"traffic stopped after {elapsed:.0f} s: {requests_total} requests")

        # The drain: the queue empty, every sweep sent again, every order processed.
        drain_began = time.perf_counter()
        sweeps_before = sweeps_sent(beat, sweep_names)
        counts = order_counts()
        while not failed and time.perf_counter() - drain_began < args.drain:
            sweeps_after = sweeps_sent(beat, sweep_names) - sweeps_before
            swept = all(sweeps_after[name] for name in sweep_names)
            if swept and queue_depth(redis_client) == 0:
                counts = order_counts()
                if counts["fully_processed"] == counts["placed"]:
                    break
            if died := dead():
                failed.append(f"died while draining: {died}")
            time.sleep(1)
        drain_seconds = time.perf_counter() - drain_began
        counts = order_counts()
        sweeps_after = sweeps_sent(beat, sweep_names) - sweeps_before
        end = memory_snapshot(groups)
        start = start or idle
        task_errors = [line for line in worker.log_text().splitlines()
                       if "ERROR/" in line or "CRITICAL/" in line]
        log(f"drained in {drain_seconds:.0f} s (queue depth {queue_depth(redis_client)})")

        memory = {}
        for name in groups:
            total = {label: sum(snap[name].values()) for label, snap in
                     (("idle", idle), ("start", start), ("end", end))}
            memory[name] = {
                "processes": len(end[name]),
                "idle_kib": total["idle"], "start_kib": total["start"], "end_kib": total["end"],
                "growth_kib": total["end"] - total["start"],
                "growth_percent": round(100 * (total["end"] - total["start"]) / total["start"], 1)
                if total["start"] else None,
                "per_process_kib": {str(pid): {"start": start[name].get(pid), "end": kib}
                                    for pid, kib in end[name].items()},
                "pids_changed": sorted(start[name]) != sorted(end[name]),
            }
        server_errors = len(tally.server_errors)
        if server_errors:
            failed.append(f"{server_errors} 5xx answers")
        if tally.no_answer:
            failed.append(f"{len(tally.no_answer)} requests with no answer")
        if counts["placed"] != counts["fully_processed"]:
            failed.append(f"{counts['placed']} orders placed but {counts['fully_processed']} "
                          "fully processed")
        if died := dead():
            failed.append(f"not running at the end: {died}")

        def ms(kind: str, fraction: float) -> float | None:
            value = percentile(sorted(tally.latencies[kind]), fraction)
            return round(value, 1) if value is not None else None

        result = {
            "timestamp": started_at.isoformat(timespec="seconds"),
            "settings": {"minutes": args.minutes, "rate_target": args.rate,
                         "clients": args.clients, "checkout_share": args.checkout_share,
                         "browse_mix": dict(BROWSE_MIX), "products": args.products,
                         "checkout_skus": len(shop["skus"]), "gunicorn_workers": args.workers,
                         "worker_concurrency": args.concurrency, "sweep_seconds": args.sweep,
                         "warmup_seconds": warmup, "drain_limit_seconds": args.drain,
                         "database": database.vendor, "redis": redis_url,
                         "client": "python requests threads, one keep-alive session each"},
            "traffic": {
                "seconds": round(elapsed, 1), "requests": requests_total,
                "requests_per_second": round(requests_total / elapsed, 2),
                "slots_dropped": pacer.dropped,
                "status_counts": dict(sorted(tally.statuses.items())),
                "server_errors": server_errors, "no_answer": len(tally.no_answer),
                "first_server_errors": tally.server_errors[:5],
                "first_no_answer": tally.no_answer[:5],
                "unexpected_checkout_answers": tally.unexpected[:5],
                "visits": dict(tally.visits),
                "by_kind": {kind: {"requests": len(values), "p50_ms": ms(kind, .5),
                                   "p95_ms": ms(kind, .95),
                                   "max_ms": round(max(values), 1),
                                   "statuses": dict(tally.kind_statuses[kind])}
                            for kind, values in sorted(tally.latencies.items())},
            },
            "orders": {"placed_by_clients": tally.placed, "paid_by_clients": tally.paid,
                       **counts, "drain_seconds": round(drain_seconds, 1),
                       "sweeps_sent_after_traffic": dict(sweeps_after),
                       "worker_log_errors": len(task_errors),
                       "first_worker_log_errors": task_errors[:5],
                       "definition": "fully processed = paid, confirmation and receipt "
                                     "emails sent, at least one shipment created"},
            "memory": {**memory, "samples_kib": samples},
            "failures": failed, "passed": not failed,
        }
        print_report(result)
        report = json.loads(args.output.read_text()) if args.output.exists() else {}
        report["soak"] = result
        args.output.write_text(json.dumps(report, indent=2) + "\n")
        log(f"results merged into {args.output} under 'soak'")
        if failed:
            log("FAILED: " + "; ".join(failed))
            for line in tally.server_errors[:3] + tally.no_answer[:3]:
                print(f"    {line}")
            if server_errors:
                print("gunicorn log (tail):\n" + server.log_tail(40))
            return 1
        return 0
    except KeyboardInterrupt:
        log("interrupted: stopping")
        return 130
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=65)
        for process in (server, worker, beat):
            if process is not None:
                process.stop()
        if redis_client is not None:
            redis_client.flushdb()  # the soak's own db: its queue, cache and results
        try:
            from django.db import connections

            connections.close_all()
        except Exception:  # noqa: BLE001 - Django never set up: nothing to close
            pass
        if not args.keep_db:
            drop_database(database)
        shutil.rmtree(workdir, ignore_errors=True)


def print_report(result: dict) -> None:
    traffic, orders = result["traffic"], result["orders"]
    print()
    print(f"requests {traffic['requests']} in {traffic['seconds']:.0f} s "
          f"({traffic['requests_per_second']:.2f}/s, target {result['settings']['rate_target']:g}"
          f", {traffic['slots_dropped']} slots dropped); 5xx {traffic['server_errors']}; "
          f"no answer {traffic['no_answer']}")
    print(f"statuses {traffic['status_counts']}")
    print(f"\n{'kind':<14}{'requests':>9}{'p50':>9}{'p95':>9}{'max':>9}  statuses")
    for kind, row in traffic["by_kind"].items():
        print(f"{kind:<14}{row['requests']:>9}{row['p50_ms'] or 0:>7.0f}ms"
              f"{row['p95_ms'] or 0:>7.0f}ms{row['max_ms']:>7.0f}ms  {row['statuses']}")
    print(f"\norders placed {orders['placed']} (clients saw {orders['placed_by_clients']} "
          f"placed, {orders['paid_by_clients']} paid); paid {orders['paid']}, confirmation "
          f"{orders['confirmation_sent']}, receipt {orders['receipt_sent']}, shipment "
          f"{orders['with_shipment']}; held {orders['held_for_review']}, canceled "
          f"{orders['canceled']}")
    print(f"orders fully processed {orders['fully_processed']} of {orders['placed']} "
          f"(drained in {orders['drain_seconds']:.0f} s; sweeps sent since traffic stopped: "
          f"{orders['sweeps_sent_after_traffic']}); worker log errors "
          f"{orders['worker_log_errors']}")
    for line in orders["first_worker_log_errors"][:3]:
        print(f"    {line[:200]}")
    print(f"\n{'memory (RSS)':<14}{'procs':>6}{'idle':>10}{'start':>10}{'end':>10}"
          f"{'growth':>10}{'growth':>8}")
    for name in ("web", "worker", "beat"):
        row = result["memory"][name]
        pct = f"{row['growth_percent']:+.1f}%" if row["growth_percent"] is not None else "-"
        print(f"{name:<14}{row['processes']:>6}{row['idle_kib'] / 1024:>7.1f}MiB"
              f"{row['start_kib'] / 1024:>7.1f}MiB{row['end_kib'] / 1024:>7.1f}MiB"
              f"{row['growth_kib'] / 1024:>+7.1f}MiB{pct:>8}"
              + ("  (pids changed)" if row["pids_changed"] else ""))
    print()


if __name__ == "__main__":
    sys.exit(main())
