"""Parts the fault tests start, break and restart: a Redis server of their own (on another
port, so the machine's Redis is untouched), real `celery -A shop worker` processes, and this
process as a Celery client of that Redis."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import redis
from django.conf import settings

from shop.celery import app
from tests.conftest import IN_CI
from tests.shop.test_celery_worker import _database_url, _forget_connections

ROOT = Path(__file__).resolve().parents[2]


def wait_until(predicate, *, timeout: float = 60, interval: float = 0.2, what: str = ""):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what or predicate}")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class RedisServer:
    """`redis-server` on a port of its own, no persistence: stopping it loses what it held,
    as a crashed broker would."""

    def __init__(self, binary: str, workdir: Path) -> None:
        self.binary, self.workdir = binary, workdir
        self.port = _free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self.workdir)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_until(self.answers, timeout=15, what="redis-server to answer")

    def stop(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait(timeout=10)
            self.process = None

    def answers(self) -> bool:
        try:
            return bool(redis.Redis.from_url(self.url, socket_connect_timeout=0.5).ping())
        except redis.exceptions.ConnectionError:
            return False


@pytest.fixture
def own_redis(tmp_path):
    binary = shutil.which("redis-server")
    if binary is None:
        if IN_CI:
            pytest.fail("CI needs redis-server on PATH for the broker fault tests.")
        pytest.skip("needs redis-server on PATH (apt-get install redis-server; CI has it)")
    server = RedisServer(binary, tmp_path)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def shared_redis_url():
    """The machine's Redis (REDIS_URL, as the other worker tests use)."""
    url = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/15"
    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.exceptions.ConnectionError:
        if IN_CI:
            pytest.fail(f"CI needs Redis at {url} for the worker tests, and it is not reachable.")
        pytest.skip(f"needs Redis at {url} (start redis-server; CI always has it)")
    return url


class Worker:
    """A `celery -A shop worker` process on its own queue, that a test may SIGKILL and
    start again. ``pool="prefork"`` runs the task in a child process (concurrency 1)."""

    def __init__(self, broker_url: str, log_dir: Path, *, pool: str = "solo",
                 env: dict | None = None) -> None:
        self.broker_url, self.log_dir, self.pool = broker_url, log_dir, pool
        self.queue = f"fault-{uuid.uuid4().hex[:8]}"
        self.extra_env = env or {}
        self.process: subprocess.Popen | None = None
        self.starts = 0

    def start(self) -> None:
        self.starts += 1
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.faults.worker_settings",
               "FAULT_QUEUE": self.queue,
               "DATABASE_URL": _database_url(), "TEST_CELERY_BROKER_URL": self.broker_url,
               "TEST_MEDIA_ROOT": str(settings.MEDIA_ROOT), **self.extra_env}
        log = open(self.log_dir / f"worker-{self.queue}-{self.starts}.log", "w")
        pool = ["--pool=solo"] if self.pool == "solo" else ["--pool=prefork",
                                                            "--concurrency=1"]
        self.process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "shop", "worker", *pool, "-Q", self.queue,
             "--without-gossip", "--without-mingle", "--without-heartbeat",
             "--loglevel=INFO", "-n", f"{self.queue}-{self.starts}@%h"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)

    def children(self) -> list[int]:
        path = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return [int(pid) for pid in path.read_text().split()] if path.exists() else []

    def kill(self) -> None:
        """SIGKILL: no shutdown, no acknowledgement, no clean-up."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        children = self.children()
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)
        for child in children:  # a pool child that outlived its parent
            try:
                os.kill(child, signal.SIGKILL)
            except ProcessLookupError:
                pass

    def logs(self, tail: int = 3000) -> str:
        return "\n".join(path.read_text()[-tail:]
                         for path in sorted(self.log_dir.glob(f"worker-{self.queue}-*.log")))


@pytest.fixture
def start_worker(tmp_path):
    workers: list[Worker] = []

    def start(broker_url: str, **kwargs) -> Worker:
        worker = Worker(broker_url, tmp_path, **kwargs)
        worker.start()
        workers.append(worker)
        return worker

    yield start
    for worker in workers:
        worker.stop()
        print(worker.logs())  # shown by pytest only when the test fails


@pytest.fixture
def celery_client():
    """Make this process a Celery client (instead of eager) of a broker and queue."""
    keys = ("broker_url", "task_always_eager", "task_default_queue", "task_routes")
    saved = {key: app.conf[key] for key in keys}

    def connect(broker_url: str, queue: str) -> None:
        app.conf.update(broker_url=broker_url, task_always_eager=False,
                        task_default_queue=queue, task_routes=None)
        _forget_connections()

    yield connect
    app.conf.update(saved)
    _forget_connections()
