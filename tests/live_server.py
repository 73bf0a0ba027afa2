"""The live server the browser and schemathesis tests talk to, keeping a connection usable
after a chunked request.

Django's test server reads a request body by its Content-Length only. A body sent with
``Transfer-Encoding: chunked`` stays in the socket, and on a kept-alive connection its
``0\\r\\n\\r\\n`` terminator is read as the next request line: the server answers it with a bare
HTML error page (no status line), and the client's next request on that connection fails
with ``BadStatusLine('<!DOCTYPE HTML>')`` against a request that did nothing wrong.
Schemathesis sends such bodies now and then, so this broke its run at random.

Production (gunicorn) reads a chunked body to its end and hands Django no Content-Length,
so the application sees an empty body and the connection stays clean. This handler does the
same: it reads the chunks off the socket before the application runs and gives the
application the request without a body, as gunicorn would.
"""

from __future__ import annotations

from django.test import testcases

_MAX_CHUNKED_BODY = 10 * 1024 * 1024


class _ChunkedBodyError(ValueError):
    pass


def drain_chunked_body(stream) -> int:
    """Read one chunked body (chunks, the zero-size last chunk and any trailers) from
    ``stream``; returns how many body bytes it held. Malformed framing raises."""
    total = 0
    while True:
        line = stream.readline(1026)
        if not line.endswith(b"\n"):
            raise _ChunkedBodyError("chunk size line missing or too long")
        size_text = line.split(b";", 1)[0].strip()
        try:
            size = int(size_text, 16)
        except ValueError as error:
            raise _ChunkedBodyError(f"bad chunk size {size_text!r}") from error
        if size < 0:
            raise _ChunkedBodyError("negative chunk size")
        if size == 0:
            break
        total += size
        if total > _MAX_CHUNKED_BODY:
            raise _ChunkedBodyError("chunked body too large")
        data = stream.read(size)
        if len(data) != size or stream.read(2) != b"\r\n":
            raise _ChunkedBodyError("chunk shorter than its size")
    while True:  # trailers, up to the empty line
        line = stream.readline(65537)
        if line in (b"\r\n", b"\n", b""):
            return total


class ChunkDrainingRequestHandler(testcases.QuietWSGIRequestHandler):
    def parse_request(self) -> bool:
        if not super().parse_request():
            return False
        if "chunked" not in (self.headers.get("Transfer-Encoding") or "").lower():
            return True
        try:
            drain_chunked_body(self.rfile)
        except _ChunkedBodyError as error:
            self.send_error(400, f"Bad chunked body: {error}")
            self.close_connection = True
            return False
        del self.headers["Transfer-Encoding"]
        del self.headers["Content-Length"]
        return True


class ChunkDrainingLiveServerThread(testcases.LiveServerThread):
    def _create_server(self, connections_override=None):
        return self.server_class(
            (self.host, self.port),
            ChunkDrainingRequestHandler,
            allow_reuse_address=False,
            connections_override=connections_override,
        )


def install() -> None:
    """pytest-django's ``live_server`` builds ``django.test.testcases.LiveServerThread``
    when the fixture starts; point that name at the draining thread."""
    testcases.LiveServerThread = ChunkDrainingLiveServerThread
