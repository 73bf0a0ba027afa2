"""Several web machines: two gunicorn instances (separate masters, as if on two machines,
each with its own process memory), two Celery workers and beat, against one PostgreSQL (the
test database) and one Redis. Nothing a shopper does may depend on which machine answers.

One test, one start-up of the seven processes (the start-up is most of its run time).
"""

import os
import re
import signal
import socket
import subprocess
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import redis
import requests
from django.test import override_settings

from orders.models import Order
from shop.dashboard import tracking
from shop.dashboard.models import DailyFunnel
from shop.queues import queue_names
from tests.factories import ProductFactory, UserFactory, make_shipping, make_variant
from tests.shop.test_celery_worker import _database_url, redis_url  # noqa: F401

ROOT = Path(__file__).resolve().parents[2]
ADDRESS = {"first_name": "Ada", "last_name": "Buyer", "line1": "1 Load St", "city": "Reno",
           "region": "NV", "postal_code": "89502", "country": "US"}
BUYERS, UNITS = 100, 10
LOGIN_ACCOUNT_LIMIT = 4


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Machines:
    def __init__(self, redis_url: str, log_dir: Path):  # noqa: F811
        self.prefix = f"m{uuid.uuid4().hex[:8]}-"
        self.redis_url, self.log_dir = redis_url, log_dir
        self.processes: dict[str, subprocess.Popen] = {}
        self.bases: list[str] = []
        self.env = {
            **os.environ, "DJANGO_SETTINGS_MODULE": "tests.scaling.machine_settings",
            "DATABASE_URL": _database_url(), "TEST_CELERY_BROKER_URL": redis_url,
            "MACHINE_REDIS_URL": redis_url, "MACHINE_PREFIX": self.prefix,
            "CELERY_QUEUE_PREFIX": self.prefix,
            "SHOP_RATE_LOGIN_IP": "1000/d", "SHOP_RATE_LOGIN_ACCOUNT": f"{LOGIN_ACCOUNT_LIMIT}/d",
            # A hundred buyers from 127.0.0.1: the per-IP checkout limit would stop them.
            "SHOP_RATE_CHECKOUT_IP": "10000/d", "SHOP_RATE_CHECKOUT_ACCOUNT": "10000/d"}
        self.env.pop("TEST_CELERY_QUEUE", None)

    def _start(self, name: str, arguments: list[str]) -> None:
        log = open(self.log_dir / f"{name}.log", "w")
        self.processes[name] = subprocess.Popen(
            [sys.executable, "-m", *arguments], cwd=ROOT, env=self.env, stdout=log,
            stderr=subprocess.STDOUT, start_new_session=True)

    def start(self) -> None:
        for n in (1, 2):
            port = _free_port()
            self._start(f"web{n}", ["gunicorn", "shop.wsgi:application", "--bind",
                                    f"127.0.0.1:{port}", "--workers", "2", "--timeout", "60"])
            self.bases.append(f"http://127.0.0.1:{port}")
        celery = ["celery", "-A", "shop"]
        for n in (1, 2):  # no -Q: every queue of shop/queues.py (under the prefix)
            self._start(f"worker{n}", [*celery, "worker", "--pool=solo", "-n",
                                       f"{self.prefix}{n}@%h", "--without-gossip",
                                       "--without-mingle", "--without-heartbeat"])
        self._start("beat", [*celery, "beat", "--schedule",
                             str(self.log_dir / "celerybeat-schedule")])
        deadline = time.monotonic() + 90
        for base in self.bases:
            while True:
                self.check_alive()
                try:
                    if requests.get(f"{base}/healthz", timeout=20).status_code == 200:
                        break
                except requests.RequestException:  # not listening yet, or still loading
                    pass
                assert time.monotonic() < deadline, f"{base} did not come up"
                time.sleep(0.2)

    def check_alive(self) -> None:
        for name, process in self.processes.items():
            assert process.poll() is None, (self.log_dir / f"{name}.log").read_text()[-3000:]

    def stop(self) -> None:
        for process in self.processes.values():
            try:
                os.killpg(process.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        for process in self.processes.values():
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
        client = redis.Redis.from_url(self.redis_url)
        client.delete(*queue_names(self.prefix))
        for key in client.scan_iter(f"{self.prefix}*"):
            client.delete(key)
        for path in sorted(self.log_dir.glob("*.log")):
            print(f"--- {path.name}\n{path.read_text()[-2500:]}")  # shown when the test fails


@pytest.fixture
def machines(redis_url, tmp_path):  # noqa: F811
    machines = Machines(redis_url, tmp_path)
    try:
        machines.start()
        yield machines
    finally:
        machines.stop()


def csrf_post(session: requests.Session, url: str, data: dict) -> requests.Response:
    page = session.get(url, timeout=30)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    return session.post(url, data={**data, "csrfmiddlewaretoken": token}, timeout=30,
                        allow_redirects=False)


def buy(base: str, variant_id: int, method_id: int, n: int) -> int:
    """One buyer through the REST API; the place-order answer (or the add-line refusal)."""
    with requests.Session() as session:
        def call(verb, path, body=None):
            return session.request(verb, base + path, json=body, timeout=60)

        token = call("POST", "/api/carts/").json()["token"]
        added = call("POST", f"/api/carts/{token}/lines/", {"variant_id": variant_id,
                                                            "quantity": 1})
        if added.status_code != 201:
            return added.status_code
        call("PUT", f"/api/carts/{token}/email/", {"email": f"buyer{n}@example.com"})
        call("PUT", f"/api/carts/{token}/shipping-address/", ADDRESS)
        call("PUT", f"/api/carts/{token}/shipping-method/", {"shipping_method_id": method_id})
        return call("POST", f"/api/carts/{token}/order/").status_code


def wait_for(check, seconds: float = 30) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.25)
    return check()


@pytest.mark.postgres
@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_two_web_machines_share_sessions_limits_stock_and_counts(machines):
    one, two = machines.bases
    product = ProductFactory(title="Hot lantern", slug="hot-lantern")
    variant = make_variant(product, sku="HOT-1", price="20.00", stock=UNITS)
    method = make_shipping()
    UserFactory(username="ada@example.com", email="ada@example.com")

    # A funnel event counted on either machine reaches the dashboard once: one visitor seen
    # on both machines is one session, another visitor on the second machine is one more.
    # (First, before any other page is seen.)
    first, second = requests.Session(), requests.Session()
    assert first.get(f"{one}/", timeout=30).status_code == 200
    assert first.get(f"{two}/", timeout=30).status_code == 200
    assert second.get(f"{two}/", timeout=30).status_code == 200
    # Beat (every 2 s here) has a worker write the shared counters down.
    # (Summed over days, so a run across midnight counts the same.)
    def sessions_written():
        return sum(DailyFunnel.objects.values_list("sessions", flat=True))

    assert wait_for(lambda: sessions_written() >= 2)
    shared_cache = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                                "LOCATION": machines.redis_url, "KEY_PREFIX": machines.prefix}}
    with override_settings(CACHES=shared_cache):
        tracking.flush_funnel_counts()  # written again: not added again
        tracking.flush_funnel_counts()
        days = list(DailyFunnel.objects.values_list("day", flat=True))
        live = tracking.live_counts(days)
        assert sum(live[day]["sessions"] for day in days) == 2
    assert sessions_written() == 2

    # A shopper logged in on one machine is logged in on the other.
    shopper = requests.Session()
    logged_in = csrf_post(shopper, f"{one}/account/login/",
                          {"email": "ada@example.com", "password": "correct horse battery"})
    assert logged_in.status_code == 302
    account = shopper.get(f"{two}/account/", timeout=30, allow_redirects=False)
    assert account.status_code == 200, account.headers.get("Location")

    # Rate limits count across both: wrong passwords for one account, alternating machines.
    guesser = requests.Session()
    answers = [csrf_post(guesser, f"{(one, two)[n % 2]}/account/login/",
                         {"email": "grace@example.com", "password": f"guess {n}"}).status_code
               for n in range(LOGIN_ACCOUNT_LIMIT + 2)]
    assert answers == [400] * LOGIN_ACCOUNT_LIMIT + [429, 429]

    # A hundred buyers, split across the machines, for ten units: exactly ten orders.
    with ThreadPoolExecutor(max_workers=16) as pool:
        statuses = list(pool.map(lambda n: buy((one, two)[n % 2], variant.pk, method.pk, n),
                                 range(BUYERS)))
    assert not [status for status in statuses if status >= 500]
    assert statuses.count(201) == UNITS
    assert Order.objects.count() == UNITS

    machines.check_alive()
