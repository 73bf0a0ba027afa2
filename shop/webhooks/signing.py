"""How deliveries are signed, and how a receiver checks them.

Each request carries ``X-Shop-Event-Id`` (the event's UUID: the same on every retry and
redelivery, so receivers can drop duplicates), ``X-Shop-Event`` (its type),
``X-Shop-Timestamp`` (Unix seconds when this attempt was signed) and ``X-Shop-Signature:
v1=<hex>``, the HMAC-SHA256 with the endpoint's secret of ``"<timestamp>.<raw body>"``.
Receivers recompute it over the raw bytes, compare in constant time and refuse old
timestamps (replays).
"""

from __future__ import annotations

import hashlib
import hmac
import time

TOLERANCE_SECONDS = 300


def signature(secret: str, timestamp: int, body: bytes) -> str:
    message = f"{timestamp}.".encode() + body
    return "v1=" + hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def signed_headers(*, secret: str, event_id: str, event_type: str, body: bytes,
                   timestamp: int | None = None) -> dict[str, str]:
    timestamp = int(time.time()) if timestamp is None else timestamp
    return {"Content-Type": "application/json", "User-Agent": "Storefront-Webhooks/1",
            "X-Shop-Event-Id": event_id, "X-Shop-Event": event_type,
            "X-Shop-Timestamp": str(timestamp),
            "X-Shop-Signature": signature(secret, timestamp, body)}


def verify(*, secret: str, body: bytes, headers, tolerance: int = TOLERANCE_SECONDS,
           now: float | None = None) -> bool:
    """Whether ``body`` with these headers was signed with ``secret`` recently."""
    try:
        timestamp = int(headers.get("X-Shop-Timestamp", ""))
    except (TypeError, ValueError):
        return False
    now = time.time() if now is None else now
    if abs(now - timestamp) > tolerance:
        return False
    expected = signature(secret, timestamp, body)
    return hmac.compare_digest(expected, str(headers.get("X-Shop-Signature", "")))
