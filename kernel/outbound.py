"""Requests the shop makes to URLs someone else chose (merchant webhooks, imported image
URLs), guarded against server-side request forgery.

A URL is accepted only with http or https, no user:password part, and a host whose every
address is public: not loopback, private, shared (100.64/10), link-local, multicast,
unspecified or reserved, IPv4 or IPv6, with IPv4 inside IPv6 (``::ffff:127.0.0.1``, 6to4,
Teredo, NAT64) judged by the IPv4 it carries. Numeric shorthand (``127.1``,
``2130706433``, ``0x7f.1``) is read the way the C library would read it, so it can't
slip past as a "name". Hosts an operator names in ``allowed_private_hosts`` (an
on-premise 3PL) may resolve to private addresses.

``send`` checks again at request time and connects to the very address it checked (the
name is resolved once), so a DNS answer that changes between the check and the connect
(DNS rebinding) can't reach an internal address; the original host still goes in the
``Host`` header and, for https, in SNI and the certificate check. Redirects are never
followed, environment proxies are ignored, the answer is read up to a cap, and every way
of not getting an answer raises the same ``CouldNotConnect``, so the caller can't tell a
closed port from a filtered one or a DNS failure.

Only the standard library is used here (the kernel imports nothing else).
"""

from __future__ import annotations

import http.client
import ipaddress
import logging
import re
import socket
import ssl
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

from .errors import ShopError

logger = logging.getLogger(__name__)

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
COULD_NOT_CONNECT = "could not connect"
_SHARED = ipaddress.ip_network("100.64.0.0/10")  # carrier-grade NAT, not routable
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
# What inet_aton would take for an IPv4 address: 1 to 4 parts, decimal, octal or hex.
_NUMERIC_HOST = re.compile(r"^(0x[0-9a-f]*|[0-9]+)(\.(0x[0-9a-f]*|[0-9]+)){0,3}\.?$")


class UnsafeURL(ShopError):
    """The URL may not be called: the message says why, for the person who entered it."""

    code = "unsafe_url"


class CouldNotConnect(Exception):
    """No answer: refused, timed out, unresolvable, not allowed, TLS or protocol failure.
    Deliberately one message; ``detail`` is for the server log only."""

    def __init__(self, detail: str):
        super().__init__(COULD_NOT_CONNECT)
        self.detail = detail


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str  # lower case, no brackets, no trailing dot
    port: int
    path: str  # path and query, never empty


@dataclass(frozen=True)
class Reply:
    status_code: int
    body: bytes  # at most max_bytes


def parse_url(url: str) -> Target:
    """Split a URL the way ``send`` will use it; refuse what it won't send to."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as error:
        raise UnsafeURL("This URL can't be read.") from error
    if parts.scheme not in ("http", "https"):
        raise UnsafeURL("Use an http or https URL.")
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        raise UnsafeURL("A URL with a user name or password in it is not accepted.")
    host = (parts.hostname or "").rstrip(".")
    if not host:
        raise UnsafeURL("The URL has no host.")
    path = parts.path or "/"
    if parts.query:
        path = f"{path}?{parts.query}"
    return Target(scheme=parts.scheme, host=host,
                  port=port or (443 if parts.scheme == "https" else 80), path=path)


def literal_address(host: str) -> IPAddress | None:
    """The address a host names by itself (``10.0.0.1``, ``::1``, ``127.1``, ``0x7f.1``,
    ``2130706433``), or None for a name that needs DNS."""
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    if _NUMERIC_HOST.match(host):
        try:
            return ipaddress.IPv4Address(socket.inet_aton(host.rstrip(".")))
        except OSError:
            return None
    return None


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def is_public(address: IPAddress) -> bool:
    """A globally routable unicast address (what a merchant's receiver on the internet has)."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(address)
        if embedded is not None:
            return is_public(embedded)
    if (address.is_loopback or address.is_private or address.is_link_local
            or address.is_multicast or address.is_unspecified or address.is_reserved):
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.is_site_local:
        return False
    if address in _SHARED:
        return False
    return address.is_global


def _allowed(address: IPAddress, *, private_allowed: bool) -> bool:
    if private_allowed:
        # An allow-listed host may be on the local network, never "any" or a group.
        return not (address.is_multicast or address.is_unspecified)
    return is_public(address)


def _is_allow_listed(host: str, allowed_private_hosts: Iterable[str]) -> bool:
    return host in {h.strip().lower().rstrip(".").strip("[]") for h in allowed_private_hosts}


def resolve(target: Target, *, allowed_private_hosts: Iterable[str] = ()) -> list[IPAddress]:
    """Every address the target's host has, each one checked; raises ``UnsafeURL`` if any
    is not allowed or the name does not resolve."""
    literal = literal_address(target.host)
    if literal is not None:
        addresses = [literal]
    else:
        try:
            found = socket.getaddrinfo(target.host, target.port, type=socket.SOCK_STREAM)
        except (OSError, UnicodeError) as error:
            raise UnsafeURL(f"The host {target.host} could not be found.") from error
        addresses = []
        for *_, sockaddr in found:
            address = ipaddress.ip_address(str(sockaddr[0]).split("%")[0])
            if address not in addresses:
                addresses.append(address)
        if not addresses:
            raise UnsafeURL(f"The host {target.host} could not be found.")
    private_allowed = _is_allow_listed(target.host, allowed_private_hosts)
    for address in addresses:
        if not _allowed(address, private_allowed=private_allowed):
            raise UnsafeURL(
                f"The host {target.host} is a local, private or reserved address "
                f"({address}); only public internet addresses can be called.")
    return addresses


def check_url(url: str, *, allowed_private_hosts: Iterable[str] = ()) -> Target:
    """Validate a URL someone enters (at registration): raises ``UnsafeURL`` with a
    message for them, or returns the parsed target."""
    target = parse_url(url)
    resolve(target, allowed_private_hosts=allowed_private_hosts)
    return target


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """Plain http to a checked address, with the original host in the Host header."""

    def __init__(self, host: str, port: int, *, address: str, timeout: float):
        super().__init__(host, port, timeout=timeout)
        self.pinned_address = address

    def connect(self):
        self.sock = socket.create_connection((self.pinned_address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """TLS to a checked address; SNI and the certificate check use the original host."""

    def __init__(self, host: str, port: int, *, address: str, timeout: float):
        self.tls_context = ssl.create_default_context()
        super().__init__(host, port, timeout=timeout, context=self.tls_context)
        self.pinned_address = address

    def connect(self):
        raw = socket.create_connection((self.pinned_address, self.port), self.timeout)
        try:
            self.sock = self.tls_context.wrap_socket(raw, server_hostname=self.host)
        except BaseException:
            raw.close()
            raise


def send(url: str, *, method: str = "POST", body: bytes | None = None,
         headers: dict | None = None, timeout: float = 10, max_bytes: int = 4096,
         allowed_private_hosts: Iterable[str] = ()) -> Reply:
    """One request, no redirects followed (a 3xx is returned as it is), the body read up to
    ``max_bytes``. Raises ``CouldNotConnect`` for anything that isn't an HTTP answer,
    including a URL or address that isn't allowed (checked now, not only when saved).

    Never call this inside a database transaction.
    """
    try:
        target = parse_url(url)
        addresses = resolve(target, allowed_private_hosts=allowed_private_hosts)
    except UnsafeURL as error:
        logger.info("Outbound request to %s refused: %s", url, error.message)
        raise CouldNotConnect(error.message) from error
    connection_class = (_PinnedHTTPSConnection if target.scheme == "https"
                        else _PinnedHTTPConnection)
    last_error: Exception | None = None
    for address in addresses:
        connection = connection_class(target.host, target.port, address=str(address),
                                      timeout=timeout)
        try:
            connection.request(method, target.path, body=body, headers=headers or {})
            response = connection.getresponse()
            return Reply(status_code=response.status, body=response.read(max_bytes))
        except (OSError, http.client.HTTPException, ValueError) as error:
            last_error = error
        finally:
            connection.close()
    logger.info("Outbound request to %s failed: %r", url, last_error)
    raise CouldNotConnect(f"{type(last_error).__name__}: {last_error}")


def excerpt(body: bytes, *, length: int = 200) -> str:
    """The start of an answer, safe to store and show: decoded leniently, control and
    format characters (ANSI escapes, NULs, bidi overrides) dropped, whitespace runs made
    one space, at most ``length`` characters. HTML is escaped where it is shown."""
    text = body.decode("utf-8", errors="replace")
    kept = "".join(" " if ch.isspace() else ch for ch in text
                   if ch.isspace() or not unicodedata.category(ch).startswith("C"))
    return " ".join(kept.split())[:length]
