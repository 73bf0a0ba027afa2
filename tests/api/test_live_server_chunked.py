"""The live server the browser and schemathesis tests use keeps a kept-alive connection clean
after a chunked request (tests/live_server.py): the next request on the same connection gets
its own answer, not the leftover terminator's bare error page."""

from __future__ import annotations

import http.client
import io
import socket
from urllib.parse import urlsplit

import pytest

from tests.live_server import _ChunkedBodyError, drain_chunked_body


def _connection(live_server) -> http.client.HTTPConnection:
    address = urlsplit(live_server.url)
    return http.client.HTTPConnection(address.hostname, address.port, timeout=10)


def test_a_request_after_a_chunked_one_on_the_same_connection_gets_its_own_answer(
        live_server, transactional_db):
    connection = _connection(live_server)
    connection.request("POST", "/api/purchase-orders/0/receipts/",
                       body=iter([b"allow_over_receipt=", b"false"]), encode_chunked=True,
                       headers={"Content-Type": "application/x-www-form-urlencoded"})
    first = connection.getresponse()
    first.read()
    assert first.status == 403  # no session: the API's own answer, read from an empty body
    connection.request("GET", "/api/products/")
    second = connection.getresponse()
    assert second.status == 200
    assert second.getheader("Content-Type").startswith("application/json")
    second.read()
    connection.close()


def test_a_malformed_chunked_body_is_a_400_with_a_status_line(live_server, transactional_db):
    address = urlsplit(live_server.url)
    with socket.create_connection((address.hostname, address.port), timeout=10) as raw:
        raw.sendall(b"POST /api/carts/ HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                    b"zz\r\nabc\r\n0\r\n\r\n")
        answer = raw.makefile("rb").readline()
    assert answer.startswith(b"HTTP/1.1 400")


@pytest.mark.parametrize("body, size", [
    (b"0\r\n\r\n", 0),
    (b"3\r\nabc\r\n0\r\n\r\n", 3),
    (b"3;ext=1\r\nabc\r\n2\r\nde\r\n0\r\nX-Trailer: 1\r\n\r\n", 5),
])
def test_drain_reads_exactly_one_chunked_body(body, size):
    stream = io.BytesIO(body + b"GET / HTTP/1.1\r\n")
    assert drain_chunked_body(stream) == size
    assert stream.read() == b"GET / HTTP/1.1\r\n"


@pytest.mark.parametrize("body", [b"", b"zz\r\n", b"5\r\nabc\r\n", b"-1\r\n"])
def test_drain_refuses_broken_framing(body):
    with pytest.raises(_ChunkedBodyError):
        drain_chunked_body(io.BytesIO(body))
