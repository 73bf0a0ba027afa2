"""Outbound webhooks can't be turned against the shop's own network (issue 15).

A merchant's endpoint must be on a public address: checked when it is registered and
again, after a fresh DNS lookup, when each delivery is sent, connecting to the address that
was checked. Redirects are not followed, and the delivery log keeps only the status and a
short sanitised excerpt; a closed port, a silent one, a non-HTTP one and a name that does
not resolve all read "could not connect".

Real sockets throughout: http.server (or a bare TCP listener) in a thread on loopback;
only name lookups come from a table (the ``dns`` fixture).
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from kernel import outbound
from shop.webhooks import services
from shop.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from tests.factories import UserFactory

from .flow import place

PUBLIC = "93.184.215.14"
GENERIC = "could not connect"


# --- Registration -----------------------------------------------------------------------------

REFUSED = [
    # loopback, in every spelling the C library accepts
    "http://127.0.0.1:8000/hooks", "http://localhost/hooks", "http://[::1]/hooks",
    "http://0.0.0.0:6379/", "http://127.1/", "http://2130706433/", "http://0x7f.1/",
    "http://017700000001/", "http://127.0.0.1./", "https://LOCALHOST/",
    # private
    "http://10.1.2.3/", "http://172.16.0.1/", "http://172.31.255.255/",
    "http://192.168.1.1/", "http://[fc00::1]/", "http://[fd12:3456::1]/",
    "http://100.64.0.1/",  # carrier-grade NAT
    # link-local (the cloud metadata service among them)
    "http://169.254.169.254/latest/meta-data/", "http://[fe80::1]/",
    # multicast, reserved, broadcast
    "http://224.0.0.1/", "http://[ff02::1]/", "http://240.0.0.1/",
    "http://255.255.255.255/",
    # IPv4 inside IPv6
    "http://[::ffff:127.0.0.1]/", "http://[::ffff:10.0.0.1]/", "http://[2002:7f00:1::]/",
    "http://[64:ff9b::a00:1]/", "http://[::127.0.0.1]/",
    # not http, or credentials in the URL
    "ftp://93.184.215.14/", "file:///etc/passwd", "gopher://93.184.215.14/",
    f"http://user:secret@{PUBLIC}/", "http:///hooks",
]


@pytest.mark.parametrize("url", REFUSED)
def test_internal_and_odd_urls_are_refused_at_registration(url, dns, settings):
    settings.SHOP_WEBHOOK_ALLOWED_PRIVATE_HOSTS = []
    dns["localhost"] = ["127.0.0.1", "::1"]
    with pytest.raises(outbound.UnsafeURL):
        services.check_endpoint_url(url=url)


def test_public_addresses_are_accepted(dns):
    dns["hooks.3pl.example"] = [PUBLIC, "2606:2800:21f:cb07:6820:80da:af6b:8b2c"]
    for url in (f"https://{PUBLIC}/hooks", "https://hooks.3pl.example/in?x=1",
                "http://[2606:4700::1111]:8443/", "https://hooks.3pl.example./"):
        assert services.check_endpoint_url(url=url) == url


def test_a_name_is_refused_when_any_of_its_addresses_is_private(dns):
    dns["mixed.example"] = [PUBLIC, "10.0.0.7"]
    dns["sneaky.example"] = ["169.254.169.254"]
    dns["v6.example"] = ["::ffff:192.168.0.1"]
    for host in ("mixed.example", "sneaky.example", "v6.example"):
        with pytest.raises(outbound.UnsafeURL, match="private or reserved"):
            services.check_endpoint_url(url=f"https://{host}/hooks")


def test_a_name_that_does_not_resolve_is_refused(dns):
    with pytest.raises(outbound.UnsafeURL, match="could not be found"):
        services.check_endpoint_url(url="https://nowhere.example/hooks")


@pytest.mark.django_db
def test_the_admin_form_says_why_a_url_is_refused(client, staff_roles, dns):
    user = UserFactory(username="merchant", is_staff=True)
    user.groups.add(Group.objects.get(name="Merchant"))
    client.force_login(user)
    add = reverse("admin:webhooks_webhookendpoint_add")
    dns["internal.example"] = ["10.20.30.40"]
    for url in ("http://127.0.0.1:6379/", "http://169.254.169.254/latest/meta-data/",
                "https://internal.example/hooks", "http://[::1]:8000/"):
        response = client.post(add, {"name": "3PL", "url": url, "events": ["order.paid"],
                                     "contact_email": "ops@3pl.example", "is_active": "on"})
        assert response.status_code == 200, url
        assert "only public internet addresses" in response.content.decode()
    assert not WebhookEndpoint.objects.exists()


def test_the_allow_list_lets_a_named_private_host_through(dns, settings):
    dns["3pl.warehouse.lan"] = ["10.0.0.5"]
    url = "https://3pl.warehouse.lan/hooks"
    settings.SHOP_WEBHOOK_ALLOWED_PRIVATE_HOSTS = []
    with pytest.raises(outbound.UnsafeURL):
        services.check_endpoint_url(url=url)
    settings.SHOP_WEBHOOK_ALLOWED_PRIVATE_HOSTS = ["3PL.warehouse.lan"]
    assert services.check_endpoint_url(url=url) == url
    # Only that name: another name on the same address is still refused.
    dns["other.lan"] = ["10.0.0.5"]
    with pytest.raises(outbound.UnsafeURL):
        services.check_endpoint_url(url="https://other.lan/hooks")


# --- Sending ----------------------------------------------------------------------------------

class Recorder:
    def __init__(self):
        self.requests: list[tuple[str, str, dict]] = []  # (method, path, headers)
        self.lock = threading.Lock()


@contextmanager
def http_server(answer: Callable, host: str = "127.0.0.1", port: int = 0, tls=None):
    """A real HTTP server (https with an ``ssl.SSLContext`` as ``tls``); ``answer(handler)``
    writes the response to each request."""
    recorder = Recorder()

    class Handler(BaseHTTPRequestHandler):
        def handle_any(self):
            length = int(self.headers.get("Content-Length") or 0)
            self.rfile.read(length)
            with recorder.lock:
                recorder.requests.append((self.command, self.path, dict(self.headers)))
            answer(self)

        do_GET = do_POST = handle_any  # noqa: N815 (http.server's names)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer((host, port), Handler)
    if tls is not None:
        server.socket = tls.wrap_socket(server.socket, server_side=True)
    recorder.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield recorder
    finally:
        server.shutdown()
        server.server_close()


@contextmanager
def tcp_listener(on_accept: Callable[[socket.socket], None]):
    """A bare TCP port on loopback that is open but does not speak HTTP."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(5)
    listener.settimeout(0.2)
    stop = threading.Event()
    held = []

    def serve():
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            held.append(conn)
            on_accept(conn)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1]
    finally:
        stop.set()
        thread.join(2)
        for conn in held:
            conn.close()
        listener.close()


def closed_port() -> int:
    """A loopback port with nothing listening (bound, then let go)."""
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    return port


def endpoint_at(url: str, name: str = "3PL") -> WebhookEndpoint:
    # Created directly, as an endpoint saved before the DNS answer changed would be.
    return WebhookEndpoint.objects.create(name=name, url=url, events=["order.placed"],
                                          contact_email="ops@3pl.example")


def attempts_by_endpoint() -> dict[str, tuple]:
    return {a.delivery.endpoint.name: (a.status_code, a.succeeded, a.error,
                                       a.response_excerpt)
            for a in WebhookAttempt.objects.select_related("delivery__endpoint")}


@pytest.mark.django_db(transaction=True)
def test_dns_rebinding_to_an_internal_address_is_caught_at_send_time(dns, mug, settings):
    settings.SHOP_WEBHOOK_ALLOWED_PRIVATE_HOSTS = []
    with http_server(lambda h: (h.send_response(200), h.end_headers(),
                                h.wfile.write(b"internal secrets"))) as internal:
        url = f"http://rebind.example:{internal.port}/hooks"
        dns["rebind.example"] = [PUBLIC]
        services.check_endpoint_url(url=url)  # public when registered
        endpoint_at(url)
        dns["rebind.example"] = ["127.0.0.1"]  # then the name moves inside

        place(mug)

        assert internal.requests == []
    delivery = WebhookDelivery.objects.get()
    assert delivery.state == WebhookDelivery.State.PENDING  # retried later, checked again
    assert (delivery.last_status_code, delivery.last_error) == (None, GENERIC)
    assert attempts_by_endpoint() == {"3PL": (None, False, GENERIC, "")}


@pytest.mark.django_db(transaction=True)
def test_the_request_goes_to_the_address_that_was_checked(dns, mug, settings):
    """Pinning: the name is looked up once per send and connected to by that answer, so a
    second, different answer (rebinding between check and connect) is never used."""
    answers = iter(["127.0.0.1", "127.0.0.2"])
    lookups = []

    class Rebinding(list):
        def __iter__(self):
            lookups.append(1)
            return iter([next(answers, "127.0.0.2")])

    def ok(handler):
        handler.send_response(204)
        handler.end_headers()

    with http_server(ok) as checked, http_server(ok, host="127.0.0.2",
                                                  port=checked.port) as other:
        settings.SHOP_WEBHOOK_ALLOWED_PRIVATE_HOSTS = ["pinned.lan"]
        dns["pinned.lan"] = Rebinding()
        endpoint_at(f"http://pinned.lan:{checked.port}/hooks")

        place(mug)

        assert len(lookups) == 1
        assert [(m, p) for m, p, _ in checked.requests] == [("POST", "/hooks")]
        assert checked.requests[0][2]["Host"] == f"pinned.lan:{checked.port}"
        assert other.requests == []
    assert WebhookDelivery.objects.get().state == WebhookDelivery.State.SUCCEEDED


@pytest.mark.django_db(transaction=True)
def test_redirects_are_not_followed_and_count_as_failures(mug, settings):
    settings.SHOP_WEBHOOK_ALLOWED_PRIVATE_HOSTS = ["127.0.0.1"]

    def answer(handler):
        if handler.path == "/hooks":
            handler.send_response(302)
            handler.send_header("Location", f"http://127.0.0.1:{server.port}/admin-only")
            handler.end_headers()
        else:
            handler.send_response(200)
            handler.end_headers()
            handler.wfile.write(b"the redirect target")

    with http_server(answer) as server:
        endpoint_at(f"http://127.0.0.1:{server.port}/hooks")
        place(mug)
        assert [(m, p) for m, p, _ in server.requests] == [("POST", "/hooks")]

    delivery = WebhookDelivery.objects.get()
    assert delivery.state == WebhookDelivery.State.PENDING
    assert delivery.last_status_code == 302
    assert delivery.last_error == "HTTP 302: redirects are not followed"
    attempt = WebhookAttempt.objects.get()
    assert (attempt.status_code, attempt.succeeded) == (302, False)


@pytest.mark.django_db(transaction=True)
def test_closed_open_silent_and_unknown_all_read_the_same(dns, mug, settings):
    """The log can't be used as a port scanner: nothing distinguishes a refused port from
    one that is open but silent, one that speaks another protocol, a name that doesn't
    resolve, or an address that isn't allowed."""
    settings.SHOP_WEBHOOK_TIMEOUT_SECONDS = 1

    def speak_ssh(conn):
        conn.sendall(b"SSH-2.0-OpenSSH_9.6 secret-banner\r\n")
        conn.close()

    with tcp_listener(lambda conn: None) as silent, tcp_listener(speak_ssh) as ssh:
        settings.SHOP_WEBHOOK_ALLOWED_PRIVATE_HOSTS = ["127.0.0.1", "gone.lan"]
        endpoint_at(f"http://127.0.0.1:{closed_port()}/hooks", name="closed")
        endpoint_at(f"http://127.0.0.1:{silent}/hooks", name="silent")
        endpoint_at(f"http://127.0.0.1:{ssh}/hooks", name="ssh")
        endpoint_at("http://gone.lan/hooks", name="unresolvable")
        endpoint_at("http://127.1:22/hooks", name="not allowed")
        place(mug)

    log = attempts_by_endpoint()
    assert set(log) == {"closed", "silent", "ssh", "unresolvable", "not allowed"}
    assert set(log.values()) == {(None, False, GENERIC, "")}
    assert set(WebhookDelivery.objects.values_list("last_error", flat=True)) == {GENERIC}


@pytest.mark.django_db(transaction=True)
def test_the_log_keeps_a_short_sanitised_excerpt(mug, settings, admin_client):
    settings.SHOP_WEBHOOK_ALLOWED_PRIVATE_HOSTS = ["127.0.0.1"]
    body = ("\x1b[31mboom\x1b[0m\x00 <script>alert(1)</script>\r\n\u202e" + "x" * 5000)

    def answer(handler):
        handler.send_response(500)
        handler.end_headers()
        handler.wfile.write(body.encode())

    with http_server(answer) as server:
        endpoint_at(f"http://127.0.0.1:{server.port}/hooks")
        place(mug)

    attempt = WebhookAttempt.objects.get()
    assert (attempt.status_code, attempt.error) == (500, "HTTP 500")
    assert len(attempt.response_excerpt) == 200
    assert attempt.response_excerpt.startswith("[31mboom[0m <script>alert(1)</script> x")
    assert not any(ord(ch) < 32 or ch in "\x7f\u202e" for ch in attempt.response_excerpt)
    page = admin_client.get(
        reverse("admin:webhooks_webhookdelivery_change", args=[attempt.delivery_id]))
    assert page.status_code == 200
    assert "&lt;script&gt;alert(1)" in page.content.decode()
    assert "<script>alert(1)" not in page.content.decode()


def test_only_so_much_of_an_answer_is_read(settings):
    def answer(handler):
        handler.send_response(200)
        handler.end_headers()
        handler.wfile.write(b"y" * 1_000_000)

    with http_server(answer) as server:
        reply = outbound.send(f"http://127.0.0.1:{server.port}/", body=b"{}",
                              max_bytes=100, allowed_private_hosts=["127.0.0.1"])
    assert (reply.status_code, reply.body) == (200, b"y" * 100)


def test_environment_proxies_are_not_used(monkeypatch):
    """A proxy would do its own DNS lookup and undo the check."""
    monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{closed_port()}")
    monkeypatch.setenv("http_proxy", f"http://127.0.0.1:{closed_port()}")
    with http_server(lambda h: (h.send_response(204), h.end_headers())) as server:
        reply = outbound.send(f"http://127.0.0.1:{server.port}/x", body=b"{}",
                              allowed_private_hosts=["127.0.0.1"])
    assert reply.status_code == 204


@pytest.mark.django_db
def test_what_the_old_log_kept_is_scrubbed():
    from importlib import import_module

    from django.apps import apps
    from django.utils import timezone

    scrub = import_module("shop.webhooks.migrations.0003_scrub_delivery_log").scrub
    endpoint_at("https://3pl.example/hooks")
    now = timezone.now()
    services.emit_event(event_type="order.placed", data={}, occurred_at=now)
    delivery = WebhookDelivery.objects.get()
    leaked = ("ConnectionError: HTTPConnectionPool(host='127.0.0.1', port=6379): "
              "[Errno 111] Connection refused")
    WebhookDelivery.objects.filter(pk=delivery.pk).update(last_error=leaked)
    WebhookAttempt.objects.create(delivery=delivery, number=1, started_at=now, error=leaked)
    WebhookAttempt.objects.create(delivery=delivery, number=2, started_at=now, status_code=500,
                                  error="HTTP 500",
                                  response_excerpt="-ERR\r\n\x1b" + "redis " * 200)

    scrub(apps, None)

    assert list(WebhookAttempt.objects.order_by("number")
                .values_list("error", "response_excerpt")) == [
        (GENERIC, ""), ("HTTP 500", ("-ERR " + "redis " * 200)[:200])]
    assert WebhookDelivery.objects.get(pk=delivery.pk).last_error == GENERIC


@pytest.fixture
def tls_server(tmp_path, monkeypatch):
    """An https server on 127.0.0.1 with a certificate for hooks.3pl.lan only, trusted by
    the shop for the test; it records the SNI each client sent."""
    import ssl
    import subprocess

    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=hooks.3pl.lan", "-addext", "subjectAltName=DNS:hooks.3pl.lan",
                    "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
    trusted = ssl.create_default_context
    monkeypatch.setattr(ssl, "create_default_context",
                        lambda *args, **kwargs: trusted(cafile=str(cert)))
    server_names = []
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(str(cert), str(key))
    context.sni_callback = lambda sock, name, ctx: server_names.append(name)

    def ok(handler):
        handler.send_response(200)
        handler.end_headers()
        handler.wfile.write(b"tls ok")

    with http_server(ok, tls=context) as recorder:
        recorder.server_names = server_names
        yield recorder


def test_https_keeps_the_host_name_for_sni_and_the_certificate(tls_server, dns):
    dns["hooks.3pl.lan"] = ["127.0.0.1"]
    dns["other.3pl.lan"] = ["127.0.0.1"]
    allowed = ["hooks.3pl.lan", "other.3pl.lan"]

    reply = outbound.send(f"https://hooks.3pl.lan:{tls_server.port}/hooks", body=b"{}",
                          allowed_private_hosts=allowed)

    assert (reply.status_code, reply.body) == (200, b"tls ok")
    assert tls_server.server_names == ["hooks.3pl.lan"]
    assert tls_server.requests[0][2]["Host"] == f"hooks.3pl.lan:{tls_server.port}"
    # The certificate is checked against the name, not the pinned address.
    with pytest.raises(outbound.CouldNotConnect):
        outbound.send(f"https://other.3pl.lan:{tls_server.port}/hooks", body=b"{}",
                      allowed_private_hosts=allowed)
    assert len(tls_server.requests) == 1
