"""A real HTTP receiver on 127.0.0.1 (http.server in a thread) that records every request
and answers with the status codes it is told to, then 200."""

from __future__ import annotations

import socket
import threading
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from kernel.outbound import literal_address
from tests.factories import ProductFactory, WarehouseFactory, make_variant


@dataclass
class Received:
    path: str
    headers: dict
    body: bytes

    @property
    def event_id(self) -> str:
        return self.headers["X-Shop-Event-Id"]

    @property
    def event_type(self) -> str:
        return self.headers["X-Shop-Event"]


@dataclass
class Receiver:
    url: str
    requests: list[Received] = field(default_factory=list)
    answers: deque = field(default_factory=deque)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def answer_next(self, *statuses: int) -> None:
        with self.lock:
            self.answers.extend(statuses)

    def types(self) -> list[str]:
        return [r.event_type for r in self.requests]


@pytest.fixture
def receiver(settings):
    """The receiver lives on loopback, which the shop refuses unless the host is
    allow-listed (as an on-premise 3PL's would be)."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 (http.server's name)
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length)
            with state.lock:
                state.requests.append(Received(self.path, dict(self.headers.items()), body))
                status = state.answers.popleft() if state.answers else 200
            self.send_response(status)
            self.send_header("Content-Type", "text/plain")
            self.end_headers()
            self.wfile.write(b"ok" if status < 300 else b"receiver broke")

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state = Receiver(url=f"http://127.0.0.1:{server.server_address[1]}/hooks")
    settings.SHOP_WEBHOOK_ALLOWED_PRIVATE_HOSTS = ["127.0.0.1"]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()


@pytest.fixture
def dns(monkeypatch):
    """Answer name lookups from a table (names not in it don't resolve): ``dns["x"] =
    ["1.2.3.4"]``. Change an entry mid-test to play DNS rebinding."""
    table: dict[str, list[str]] = {}
    real_getaddrinfo = socket.getaddrinfo

    def getaddrinfo(host, port, family=0, type=0, proto=0, flags=0):
        name = host.decode() if isinstance(host, bytes) else host
        if name not in table:
            if literal_address(name or "") is not None:
                return real_getaddrinfo(host, port, family, type, proto, flags)
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        answers = []
        for address in table[name]:
            if ":" in address:
                answers.append((socket.AF_INET6, socket.SOCK_STREAM, 6, "",
                                (address, port, 0, 0)))
            else:
                answers.append((socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port)))
        return answers

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return table


@pytest.fixture
def mug(db):
    return make_variant(ProductFactory(title="Mug"), price="10.00", stock=50,
                        warehouse=WarehouseFactory(code="east"))
