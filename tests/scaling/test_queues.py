"""Queues per kind of work (shop/queues.py): a flood of merchant webhooks and analytics
roll-ups, thousands of messages each on their own queues, does not hold up a label that
the fulfillment worker buys from its own queue.

Three real worker processes, each consuming only its own queue as docker-compose runs them,
under a queue prefix of this test's own so nothing else on the same Redis is touched.
"""

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import redis
from celery.app.routes import Router, prepare
from django.conf import settings
from django.utils import timezone

from fulfillment import services
from fulfillment.models import Shipment
from orders import services as order_services
from payments import services as payment_services
from shop.celery import app
from shop.dashboard.tasks import refresh_order_kpis
from shop.queues import ROUTES, celery_routing, queue_for, queue_names
from shop.webhooks.tasks import emit_order_event
from tests.factories import ProductFactory, make_variant, ready_cart
from tests.shop.test_celery_worker import _database_url, _forget_connections, redis_url  # noqa: F401

ROOT = Path(__file__).resolve().parents[2]
CARD = {"number": "4242424242424242", "exp_month": "12", "exp_year": "2030", "cvc": "123"}
FLOOD = 3000  # messages on each of the webhook and analytics queues


def test_every_task_goes_to_the_queue_of_its_kind():
    assert queue_for("fulfillment.tasks.purchase_label") == "fulfillment"
    assert queue_for("fulfillment.tasks.poll_tracking") == "fulfillment"
    assert queue_for("returns.tasks.issue_return_label") == "fulfillment"
    assert queue_for("fulfillment.tasks.send_shipment_status_email") == "emails"
    assert queue_for("orders.tasks.send_order_confirmation") == "emails"
    assert queue_for("payments.tasks.send_payment_receipt") == "emails"
    assert queue_for("orders.tasks.cancel_expired_unpaid_orders") == "orders"
    assert queue_for("payments.tasks.keep_live_payment_holds") == "orders"
    assert queue_for("fulfillment.tasks.capture_at_shipment") == "orders"
    assert queue_for("shop.webhooks.tasks.deliver_webhook") == "webhooks"
    assert queue_for("shop.dashboard.tasks.flush_funnel_counts") == "analytics"
    assert queue_for("catalog.tasks.generate_thumbnails") == "celery"
    # Celery's own router agrees with queue_for.
    routing = celery_routing()
    router = Router(prepare(routing["task_routes"]),
                    {queue.name: queue for queue in routing["task_queues"]}, True, app=app)
    for task_name in ("fulfillment.tasks.purchase_label", "orders.tasks.send_order_received",
                      "shop.dashboard.tasks.refresh_order_kpis"):
        route = router.route({}, task_name)
        assert route["queue"].name == queue_for(task_name)
    # Every periodic job is routed to a queue some worker of docker-compose consumes.
    assert {queue_for(job["task"]) for job in settings.CELERY_BEAT_SCHEDULE.values()} <= set(
        queue_names())
    assert len(ROUTES) == len({pattern for pattern, _ in ROUTES})


class Workers:
    """`celery -A shop worker -Q <prefix><kind>` processes, one per kind."""

    def __init__(self, broker_url: str, prefix: str, log_dir: Path):
        self.broker_url, self.prefix, self.log_dir = broker_url, prefix, log_dir
        self.processes: dict[str, subprocess.Popen] = {}

    def start(self, kind: str) -> None:
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": "shop.settings.test",
               "DATABASE_URL": _database_url(), "TEST_CELERY_BROKER_URL": self.broker_url,
               "CELERY_QUEUE_PREFIX": self.prefix, "TEST_MEDIA_ROOT": str(settings.MEDIA_ROOT)}
        env.pop("TEST_CELERY_QUEUE", None)
        log = open(self.log_dir / f"{kind}.log", "w")
        self.processes[kind] = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "shop", "worker", "--pool=solo",
             "-Q", f"{self.prefix}{kind}", "-n", f"{self.prefix}{kind}@%h",
             "--without-gossip", "--without-mingle", "--without-heartbeat", "--loglevel=INFO"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)

    def wait_ready(self, seconds: float = 60) -> None:
        deadline = time.monotonic() + seconds
        for kind in self.processes:
            path = self.log_dir / f"{kind}.log"
            while " ready." not in path.read_text():
                assert self.processes[kind].poll() is None, path.read_text()[-3000:]
                assert time.monotonic() < deadline, f"{kind} worker not ready"
                time.sleep(0.2)

    def stop(self) -> None:
        for process in self.processes.values():
            process.terminate()
        for process in self.processes.values():
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
        for path in sorted(self.log_dir.glob("*.log")):
            print(f"--- {path.name}\n{path.read_text()[-2000:]}")  # shown when the test fails


@pytest.fixture
def routed(redis_url, tmp_path):  # noqa: F811
    """This process sends with the production routing, under a prefix of its own."""
    prefix = f"t{uuid.uuid4().hex[:8]}-"
    keys = ("broker_url", "task_always_eager", "task_default_queue", "task_queues",
            "task_routes")
    saved = {key: app.conf[key] for key in keys}
    app.conf.update(broker_url=redis_url, task_always_eager=False, **celery_routing(prefix))
    _forget_connections()
    workers = Workers(redis_url, prefix, tmp_path)
    yield workers
    workers.stop()
    app.conf.update(saved)
    _forget_connections()
    client = redis.Redis.from_url(redis_url)
    client.delete(*queue_names(prefix))


def wait_for(check, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.2)
    return check()


@pytest.mark.postgres
@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_flood_of_webhooks_and_analytics_does_not_hold_up_a_label(routed, redis_url):  # noqa: F811
    for kind in ("fulfillment", "webhooks", "analytics"):
        routed.start(kind)
    routed.wait_ready()
    broker = redis.Redis.from_url(redis_url)
    prefix = routed.prefix

    variant = make_variant(ProductFactory(), sku="QUEUE-1", price="20.00", stock=5)
    order = order_services.place_order(cart=ready_cart(variants={variant: 1}))
    payment_services.start_payment(order=order, payment_data=CARD)
    # create_shipments went to the fulfillment queue, which its worker consumes.
    assert wait_for(lambda: Shipment.objects.filter(order=order).exists(), 30)
    shipment = Shipment.objects.get(order=order)

    # The flood: routed by task name alone, as the shop's own code sends them.
    occurred_at = timezone.now().isoformat()
    with app.producer_or_acquire() as producer:
        for _ in range(FLOOD):
            emit_order_event.apply_async(("order.paid", order.pk, occurred_at),
                                         producer=producer)
            refresh_order_kpis.apply_async((order.pk,), producer=producer)
    assert broker.llen(f"{prefix}webhooks") > FLOOD // 2
    assert broker.llen(f"{prefix}analytics") > FLOOD // 2

    services.create_pick_list(warehouse_id=shipment.warehouse_id, count=1)
    services.scan_item(shipment_id=shipment.pk, code="QUEUE-1")
    services.complete_packing(shipment_id=shipment.pk, weight_grams=400)

    # The label is bought by the fulfillment worker, from its own queue, within a bound far
    # below what working through the flood first would take.
    assert wait_for(lambda: Shipment.objects.get(pk=shipment.pk).state == "label_purchased",
                    30), "the label was not bought while webhooks and analytics were flooded"
    # The flood was still there when the label was bought: it did not wait behind it.
    assert broker.llen(f"{prefix}webhooks") > 0
    assert broker.llen(f"{prefix}analytics") > 0
    # Nothing of the flood landed on the fulfillment queue.
    assert broker.llen(f"{prefix}fulfillment") == 0
