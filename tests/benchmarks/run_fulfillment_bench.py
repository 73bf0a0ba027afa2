"""`make bench`, third part: from "order paid" to "label stored" and "shipped email sent",
with a real Celery worker on Redis, at a steady order rate.

1. Recreates ``<name>_bench`` (PostgreSQL), migrates it, and sets up stock and shipping.
2. Starts ``celery -A shop worker`` (prefork, --concurrency processes) on Redis
   (REDIS_URL, default redis://127.0.0.1:6379/14) against the bench database.
3. Places and pays --orders orders at --rate orders per second (services, in this
   process). A "warehouse robot" thread plays the staff: as soon as the worker has created
   a shipment it picks, scans and packs it; as soon as the worker has bought the label it
   ships it. So the figures are the system's own latency plus the robot's polling
   (--poll, 50 ms), with no human in the loop.
4. Reports p50/p95/max of paid -> shipment created, paid -> label stored, and paid -> shipped
   email sent (database timestamps), and merges them under "fulfillment" in the JSON file.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO_ROOT))

from tests.benchmarks.run_catalog_bench import (  # noqa: E402
    DEFAULT_DATABASE_URL,
    _run,
    drop_database,
    log,
    percentile,
    prepare_database,
)

CARD = {"number": "4242424242424242", "exp_month": "12", "exp_year": "2030", "cvc": "123"}
ADDRESS = {"first_name": "Bench", "last_name": "Buyer", "line1": "1 Load St", "city": "Reno",
           "region": "NV", "postal_code": "89502", "country": "US"}


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=60)
    parser.add_argument("--rate", type=float, default=4.0, help="orders paid per second")
    parser.add_argument("--concurrency", type=int, default=2, help="worker processes")
    parser.add_argument("--poll", type=float, default=0.05, help="robot poll seconds")
    parser.add_argument("--output", type=Path, default=Path("bench-results.json"))
    parser.add_argument("--drop-db", action="store_true")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    started_at = datetime.now(UTC)
    workdir = Path(tempfile.mkdtemp(prefix="storefront-fulfillment-bench-"))
    database = prepare_database(os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL,
                                force_sqlite=False)
    redis_url = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
    env = {**os.environ, "DATABASE_URL": database.url, "REDIS_URL": redis_url,
           "CELERY_BROKER_URL": redis_url, "DJANGO_SETTINGS_MODULE": "shop.settings.local",
           "MEDIA_ROOT": str(workdir / "media"), "PYTHONPATH": str(REPO_ROOT),
           "LOG_LEVEL": "WARNING"}
    os.environ.update({k: env[k] for k in ("DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL",
                                           "DJANGO_SETTINGS_MODULE", "MEDIA_ROOT",
                                           "LOG_LEVEL")})
    worker = None
    try:
        _run([sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], env, "migrate")
        import redis

        redis.Redis.from_url(redis_url).flushdb()
        worker_log = open(workdir / "worker.log", "w")
        worker = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "shop", "worker", "--loglevel=WARNING",
             f"--concurrency={args.concurrency}", "--without-gossip", "--without-mingle",
             "--without-heartbeat"], cwd=REPO_ROOT, env=env, stdout=worker_log,
            stderr=subprocess.STDOUT)
        import django

        django.setup()
        results = run(args)
        if worker.poll() is not None:
            raise RuntimeError("the worker died: " + (workdir / "worker.log").read_text()[-2000:])
        report = json.loads(args.output.read_text()) if args.output.exists() else {}
        report["fulfillment"] = {"timestamp": started_at.isoformat(timespec="seconds"),
                                 "settings": {"orders": args.orders, "rate_per_second": args.rate,
                                              "worker_concurrency": args.concurrency,
                                              "robot_poll_seconds": args.poll,
                                              "database": database.vendor}, **results}
        args.output.write_text(json.dumps(report, indent=2) + "\n")
        log(f"results merged into {args.output} under 'fulfillment'")
        return 0 if results["completed"] == args.orders else 1
    finally:
        if worker is not None:
            worker.terminate()
            try:
                worker.wait(timeout=20)
            except subprocess.TimeoutExpired:
                worker.kill()
        from django.db import connections

        connections.close_all()
        if args.drop_db:
            drop_database(database)
        shutil.rmtree(workdir, ignore_errors=True)


def run(args) -> dict:
    from decimal import Decimal

    from catalog import services as catalog
    from catalog.models import Product
    from fulfillment import services
    from fulfillment.models import Shipment, ShipmentNotification
    from inventory import services as inventory
    from inventory.models import Warehouse
    from orders import services as order_services
    from orders.models import Order, ShippingMethod, ShippingZone
    from payments import services as payment_services

    warehouse = Warehouse.objects.create(code="bench", name="Bench DC", priority=1,
                                         city="Reno", address_line1="1 Dock Rd",
                                         postal_code="89502")
    category = catalog.create_category(name="Bench", slug="bench")
    variants = []
    for n in range(10):
        product = catalog.save_product(product=Product(title=f"Item {n}", slug=f"item-{n}",
                                                       is_published=True, category=category))
        variant = catalog.save_variant(product=product, sku=f"ITEM-{n}",
                                       price=Decimal("15.00"), options={}, weight_grams=400)
        inventory.receive_stock(variant=variant, warehouse=warehouse, quantity=100_000)
        variants.append(variant)
    zone = ShippingZone.objects.create(name="US", countries="US")
    method = ShippingMethod.objects.create(zone=zone, name="Standard", price=Decimal("5"))

    stop = threading.Event()
    handled: set[int] = set()
    shipped: set[int] = set()

    def robot() -> None:
        from django.db import connection

        while not stop.is_set():
            for shipment in Shipment.objects.filter(state="pending").exclude(pk__in=handled):
                services.create_pick_list(warehouse_id=shipment.warehouse_id,
                                          shipment_ids=[shipment.pk])
                for line in shipment.lines.select_related("order_line"):
                    for _ in range(line.quantity):
                        services.scan_item(shipment_id=shipment.pk, code=line.order_line.sku)
                services.complete_packing(shipment_id=shipment.pk, weight_grams=500)
                handled.add(shipment.pk)
            for shipment in Shipment.objects.filter(state="label_purchased").exclude(
                    pk__in=shipped):
                services.ship_shipment(shipment_id=shipment.pk)
                shipped.add(shipment.pk)
            time.sleep(args.poll)
        connection.close()

    thread = threading.Thread(target=robot, daemon=True)
    thread.start()
    log(f"paying {args.orders} orders at {args.rate:g}/s")
    interval = 1 / args.rate
    begin = time.perf_counter()
    order_ids = []
    for n in range(args.orders):
        target = begin + n * interval
        time.sleep(max(0.0, target - time.perf_counter()))
        cart = order_services.get_or_create_cart()
        order_services.add_to_cart(cart=cart, variant_id=variants[n % len(variants)].pk,
                                   quantity=1)
        order_services.set_checkout_email(cart=cart, email=f"bench{n}@example.com")
        cart = order_services.set_shipping_address(cart=cart, address=ADDRESS)
        order_services.set_shipping_method(cart=cart, method_id=method.pk)
        order = order_services.place_order(cart=cart)
        payment_services.start_payment(order=order, payment_data=CARD)
        order_ids.append(order.pk)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        done = ShipmentNotification.objects.filter(kind="shipped", sent_at__isnull=False,
                                                   shipment__order_id__in=order_ids).count()
        if done == len(order_ids):
            break
        time.sleep(0.25)
    stop.set()
    thread.join(timeout=10)

    created, label, email = [], [], []
    for order in Order.objects.filter(pk__in=order_ids).prefetch_related(
            "shipments__label_purchase", "shipments__notifications"):
        for shipment in order.shipments.all():
            created.append((shipment.created_at - order.paid_at).total_seconds() * 1000)
            purchase = getattr(shipment, "label_purchase", None)
            if purchase and purchase.completed_at:
                label.append((purchase.completed_at - order.paid_at).total_seconds() * 1000)
            sent = [n.sent_at for n in shipment.notifications.all()
                    if n.kind == "shipped" and n.sent_at]
            if sent:
                email.append((sent[0] - order.paid_at).total_seconds() * 1000)

    def stats(values: list[float]) -> dict:
        ordered = sorted(values)
        return {"count": len(values),
                "p50_ms": round(percentile(ordered, .5), 1) if values else None,
                "p95_ms": round(percentile(ordered, .95), 1) if values else None,
                "max_ms": round(ordered[-1], 1) if values else None}

    result = {"completed": len(email), "paid_to_shipment_created": stats(created),
              "paid_to_label_stored": stats(label), "paid_to_shipped_email_sent": stats(email)}
    print()
    print(f"{'from paid to':<24}{'count':>7}{'p50':>10}{'p95':>10}{'max':>10}")
    for name, key in [("shipment created", "paid_to_shipment_created"),
                      ("label stored", "paid_to_label_stored"),
                      ("shipped email sent", "paid_to_shipped_email_sent")]:
        row = result[key]
        print(f"{name:<24}{row['count']:>7}{row['p50_ms'] or 0:>8.0f}ms{row['p95_ms'] or 0:>8.0f}ms"
              f"{row['max_ms'] or 0:>8.0f}ms")
    return result


if __name__ == "__main__":
    sys.exit(main())
