"""PostgreSQL clusters and PgBouncer that a test starts itself, in a temporary folder, on
free ports: a primary and its streaming replica (``initdb`` / ``pg_basebackup -R``), and
PgBouncer in transaction pooling mode in front of a server.

The binaries come from Debian's packages (postgresql-15, pgbouncer). When they are missing
the tests skip with a message saying so; in CI (``CI`` set) they fail instead. Both refuse
to run as root, so as root every command runs as the ``postgres`` user.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess  # nosec B404 - starts local PostgreSQL and PgBouncer for the tests
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

import pytest

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def _pg_bin() -> Path:
    """PG_BIN, else the newest Debian PostgreSQL that has initdb."""
    if os.environ.get("PG_BIN"):
        return Path(os.environ["PG_BIN"])
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"),
                   key=lambda path: int(path.parts[-3]) if path.parts[-3].isdigit() else 0)
    return found[-1].parent if found else Path("/usr/lib/postgresql/15/bin")


PG_BIN = _pg_bin()


def unavailable(reason: str):
    """Skip outside CI, fail in CI."""
    if IN_CI:
        pytest.fail(f"CI must have {reason}", pytrace=False)
    pytest.skip(f"needs {reason}")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _as_postgres() -> dict:
    if os.geteuid() != 0:
        return {}
    user = pwd.getpwnam("postgres")
    return {"user": user.pw_uid, "group": user.pw_gid}


def _run(*args, **kwargs) -> None:
    subprocess.run([str(a) for a in args], check=True, capture_output=True,  # nosec B603
                   timeout=120, **_as_postgres(), **kwargs)


def workdir(prefix: str) -> Path:
    path = Path(tempfile.mkdtemp(prefix=prefix))
    if os.geteuid() == 0:
        user = pwd.getpwnam("postgres")
        os.chown(path, user.pw_uid, user.pw_gid)
    return path


def wait_for_port(port: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise RuntimeError(f"nothing listening on port {port} after {timeout}s")


class Cluster:
    """One PostgreSQL server in ``data``, listening on 127.0.0.1:``port`` (trust auth)."""

    def __init__(self, data: Path, port: int):
        self.data, self.port = data, port

    @classmethod
    def create_primary(cls, root: Path) -> Cluster:
        cluster = cls(root / "primary", free_port())
        _run(PG_BIN / "initdb", "-D", cluster.data, "-U", "postgres", "--auth=trust",
             "--no-sync", "-E", "UTF8", "--locale=C")
        with open(cluster.data / "postgresql.conf", "a") as conf:
            conf.write("wal_level = replica\nmax_wal_senders = 4\nfsync = off\n"
                       "full_page_writes = off\n")
        return cluster.start()

    def create_replica(self, root: Path) -> Cluster:
        """A streaming replica of this (running) cluster: ``pg_basebackup -R``."""
        replica = Cluster(root / "replica", free_port())
        _run(PG_BIN / "pg_basebackup", "-h", "127.0.0.1", "-p", self.port, "-U", "postgres",
             "-D", replica.data, "-R", "-X", "stream", "--no-sync")
        return replica.start()

    def start(self) -> Cluster:
        _run(PG_BIN / "pg_ctl", "-D", self.data, "-l", self.data / "server.log", "-w",
             "-o", f"-p {self.port} -c listen_addresses=127.0.0.1 -c unix_socket_directories=''",
             "start")
        wait_for_port(self.port)
        return self

    def stop(self) -> None:
        if (self.data / "postmaster.pid").exists():
            _run(PG_BIN / "pg_ctl", "-D", self.data, "-m", "immediate", "-w", "stop")


def postgres_binaries_present() -> bool:
    return all((PG_BIN / name).exists() for name in ("initdb", "pg_basebackup", "pg_ctl"))


@contextmanager
def primary_and_replica():
    """A primary and its streaming replica, stopped and removed afterwards."""
    if not postgres_binaries_present():
        unavailable(f"PostgreSQL's initdb, pg_basebackup and pg_ctl in {PG_BIN} (apt-get "
                    "install postgresql-15, or set PG_BIN)")
    root = workdir("shop-replica-")
    primary = replica = None
    try:
        primary = Cluster.create_primary(root)
        replica = primary.create_replica(root)
        yield primary, replica
    finally:
        for cluster in (replica, primary):
            if cluster is not None:
                cluster.stop()
        shutil.rmtree(root, ignore_errors=True)


class PgBouncer:
    """PgBouncer in transaction pooling mode on a free port, in front of host:port."""

    def __init__(self, host: str, port: int, users: list[str], password: str = ""):
        self.binary = shutil.which("pgbouncer") or "/usr/sbin/pgbouncer"
        if not os.path.exists(self.binary):
            unavailable("PgBouncer (make test installs it: apt-get install pgbouncer)")
        self.root = workdir("shop-pgbouncer-")
        self.port = free_port()
        (self.root / "userlist.txt").write_text(
            "".join(f'"{user}" ""\n' for user in users))
        (self.root / "pgbouncer.ini").write_text(
            "[databases]\n"
            f"* = host={host or '127.0.0.1'} port={port or 5432}"
            + (f" password={password}" if password else "") + "\n"
            "[pgbouncer]\n"
            f"listen_addr = 127.0.0.1\nlisten_port = {self.port}\nunix_socket_dir =\n"
            "auth_type = trust\n"
            f"auth_file = {self.root / 'userlist.txt'}\n"
            "pool_mode = transaction\n"
            "max_client_conn = 500\ndefault_pool_size = 20\n"
            # Django sends these startup parameters; PgBouncer must pass them through.
            "ignore_startup_parameters = extra_float_digits,options\n"
            f"logfile = {self.root / 'pgbouncer.log'}\n"
            "server_reset_query =\nlog_connections = 0\nlog_disconnections = 0\n")
        self.process: subprocess.Popen | None = None

    def start(self) -> PgBouncer:
        self.process = subprocess.Popen(  # nosec B603
            [self.binary, str(self.root / "pgbouncer.ini")],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, **_as_postgres())
        wait_for_port(self.port)
        return self

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
        shutil.rmtree(self.root, ignore_errors=True)


@contextmanager
def pointed_at(alias_settings: dict, **changes):
    """Point a DATABASES entry (HOST, PORT, NAME, OPTIONS...) elsewhere for a while, closing
    this thread's connections before and after so the next query reconnects."""
    from django.db import connections

    saved = {key: alias_settings.get(key) for key in changes}
    connections.close_all()
    alias_settings.update(changes)
    try:
        yield
    finally:
        connections.close_all()
        alias_settings.update(saved)


def pgbouncer_requested(config) -> bool:
    """``pytest --pgbouncer`` or ``TEST_PGBOUNCER=1``: every test through PgBouncer."""
    return bool(config.getoption("--pgbouncer", default=False)
                or os.environ.get("TEST_PGBOUNCER", "").lower() in {"1", "true", "yes"})


@contextmanager
def through_pgbouncer(alias: str = "default"):
    """PgBouncer (transaction pooling) started in front of ``alias``'s server, and the alias
    pointed at it with server-side cursors off, as DATABASE_POOLER=pgbouncer configures
    production. Threads that connect afterwards go through it too."""
    from django.db import connections

    config = connections.settings[alias]
    if connections[alias].vendor != "postgresql":
        unavailable("PostgreSQL for PgBouncer (set DATABASE_URL)")
    bouncer = PgBouncer(config["HOST"], config["PORT"], [config["USER"] or "postgres"],
                        password=config.get("PASSWORD") or "").start()
    try:
        with pointed_at(config, HOST="127.0.0.1", PORT=str(bouncer.port),
                        DISABLE_SERVER_SIDE_CURSORS=True):
            yield bouncer
    finally:
        bouncer.stop()
