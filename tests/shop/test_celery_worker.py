"""A real Celery worker process, on Redis, does a task's work and it shows in the database."""

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import redis
from django.conf import settings
from django.db import connection

from catalog import services as catalog_services
from shop.celery import app
from tests.conftest import IN_CI
from tests.factories import ProductFactory

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def redis_url():
    url = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/15"
    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.exceptions.ConnectionError:
        if IN_CI:
            pytest.fail(f"CI needs Redis at {url} for the worker test, and it is not reachable.")
        pytest.skip(f"needs Redis at {url} (start redis-server; CI always has it)")
    return url


def _database_url() -> str:
    db = connection.settings_dict
    port = db.get("PORT") or 5432
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return f"postgres://{db['USER']}{password}@{db['HOST'] or '127.0.0.1'}:{port}/{db['NAME']}"


@pytest.fixture
def worker(redis_url, tmp_path):
    """A `celery -A shop worker` process consuming a queue of its own."""
    queue = f"test-{uuid.uuid4().hex[:8]}"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "shop.settings.test",
        "DATABASE_URL": _database_url(),
        "TEST_CELERY_BROKER_URL": redis_url,
        "TEST_CELERY_QUEUE": queue,  # every task, those the worker queues itself included
        "TEST_MEDIA_ROOT": str(settings.MEDIA_ROOT),
    }
    log = open(tmp_path / "worker.log", "w+")
    process = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "shop", "worker", "--pool=solo", "-Q", queue,
         "--without-gossip", "--without-mingle", "--without-heartbeat", "--loglevel=INFO"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    yield queue
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
    log.seek(0)
    print(log.read()[-4000:])  # shown by pytest only when the test fails


@pytest.fixture
def send_tasks_to(redis_url, worker):
    """Make this process a Celery client of Redis (instead of eager) for the test."""
    keys = ("broker_url", "task_always_eager", "task_default_queue", "task_routes")
    saved = {key: app.conf[key] for key in keys}
    # No queue per kind of work here: every task goes to the one test worker's queue.
    app.conf.update(broker_url=redis_url, task_always_eager=False, task_default_queue=worker,
                    task_routes=None)
    _forget_connections()
    yield
    app.conf.update(saved)
    _forget_connections()


def _forget_connections():
    """Celery builds its queues, router and producer pool once, from the config it had then
    (eager, in-memory). Drop them so the next send uses the config set above."""
    app.__dict__.pop("amqp", None)
    app._pool = None


@pytest.mark.postgres
@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_worker_process_generates_thumbnails_after_an_image_is_added(send_tasks_to, png_bytes):
    product = ProductFactory(title="Lantern", slug="lantern")

    image = catalog_services.add_product_image(product=product, content=png_bytes(1200, 900),
                                               alt_text="Lantern, lit")

    # The task was queued after commit and runs in the other process.
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        image.refresh_from_db()
        if image.thumbnail_large:
            break
        time.sleep(0.25)
    assert image.thumbnail_small and image.thumbnail_medium and image.thumbnail_large
    with image.thumbnail_medium.open("rb") as handle:
        from PIL import Image

        assert Image.open(handle).size == (480, 360)
