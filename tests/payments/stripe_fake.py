"""A local stand-in for Stripe's API, started by the tests, answering with Stripe-shaped
objects; and webhook payloads signed exactly as Stripe signs them.

It implements the part of the API the shop uses: PaymentIntents (create, retrieve with
``expand[]``, capture, cancel) and Refunds (create), honours ``Idempotency-Key`` like
Stripe (same key, same answer, one effect), and records every request. Tests move an
intent as the shopper's browser would (``succeed``, ``require_action``, ``fail``,
``authorize``) and can make the next requests fail with a 500 or hang.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlparse


def sign_payload(payload: bytes, secret: str, timestamp: int | None = None) -> str:
    """The ``Stripe-Signature`` header: t=<unix time>,v1=<HMAC-SHA256 of "t.payload">."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    signed = f"{timestamp}.".encode() + payload
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def make_event(event_type: str, obj: dict, event_id: str | None = None) -> dict:
    return {"id": event_id or f"evt_{secrets.token_hex(12)}", "object": "event",
            "api_version": "2025-01-27.acacia", "created": int(time.time()),
            "type": event_type, "livemode": False, "pending_webhooks": 1,
            "data": {"object": obj}}


def _nest(pairs: list[tuple[str, str]]) -> dict:
    """Form keys like metadata[order]=1 and expand[0]=x into nested dicts and lists."""
    result: dict = {}
    for key, value in pairs:
        parts = key.replace("]", "").split("[")
        node = result
        for index, part in enumerate(parts):
            last = index == len(parts) - 1
            if part == "" or part.isdigit():  # a list item
                if last:
                    node.setdefault("__list__", []).append(value)
                continue
            if last:
                node[part] = value
            else:
                node = node.setdefault(part, {})
    return _lists(result)


def _lists(node):
    if isinstance(node, dict):
        if set(node) == {"__list__"}:
            return node["__list__"]
        return {key: _lists(value) for key, value in node.items()}
    return node


class FakeStripe:
    def __init__(self) -> None:
        self.intents: dict[str, dict] = {}
        self.charges: dict[str, dict] = {}
        self.refunds: dict[str, dict] = {}
        self.requests: list[dict] = []
        self._idempotent: dict[str, tuple[int, dict]] = {}
        self._lock = threading.Lock()
        self._fail_next = 0
        self._fail_status = 500
        self._hang_next = 0
        self._stopping = threading.Event()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever,
                                        kwargs={"poll_interval": 0.05}, daemon=True)

    def start(self) -> FakeStripe:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()  # lets a hanging request go
        self.server.shutdown()
        self.server.server_close()

    # --- what tests use ---------------------------------------------------------------------

    def fail_next(self, count: int = 1, status: int = 500) -> None:
        """The next ``count`` requests get Stripe's error for ``status`` (402 a declined
        card, 429 a rate limit, 5xx a server error) and change nothing."""
        self._fail_next, self._fail_status = count, status

    def hang_next(self, count: int = 1) -> None:
        self._hang_next = count

    def intent(self, intent_id: str) -> dict:
        return json.loads(json.dumps(self.intents[intent_id]))

    def charge_for(self, intent_id: str) -> dict:
        return json.loads(json.dumps(self.charges[self.intents[intent_id]["latest_charge"]]))

    def succeed(self, intent_id: str, *, brand: str = "visa", last4: str = "4242",
                risk_level: str = "normal") -> dict:
        intent = self.intents[intent_id]
        charge = self._charge(intent, brand, last4, risk_level,
                              captured=intent["capture_method"] == "automatic")
        if intent["capture_method"] == "automatic":
            intent.update(status="succeeded", amount_received=intent["amount"],
                          last_payment_error=None)
        else:
            intent.update(status="requires_capture", amount_capturable=intent["amount"])
        intent["latest_charge"] = charge["id"]
        return self.intent(intent_id)

    def authorize(self, intent_id: str) -> dict:
        self.intents[intent_id]["capture_method"] = "manual"
        return self.succeed(intent_id)

    def require_action(self, intent_id: str) -> dict:
        self.intents[intent_id]["status"] = "requires_action"
        return self.intent(intent_id)

    def fail(self, intent_id: str, message: str = "Your card was declined.") -> dict:
        self.intents[intent_id].update(
            status="requires_payment_method",
            last_payment_error={"type": "card_error", "code": "card_declined",
                                "message": message})
        return self.intent(intent_id)

    def refund_outside(self, intent_id: str, amount: int) -> dict:
        """A refund made in Stripe's dashboard (not through the shop)."""
        charge = self.charges[self.intents[intent_id]["latest_charge"]]
        charge["amount_refunded"] += amount
        charge["refunded"] = charge["amount_refunded"] >= charge["amount_captured"]
        return json.loads(json.dumps(charge))

    # --- the API ----------------------------------------------------------------------------

    def _charge(self, intent, brand, last4, risk_level, *, captured: bool) -> dict:
        charge = {"id": f"ch_{secrets.token_hex(12)}", "object": "charge",
                  "amount": intent["amount"], "currency": intent["currency"],
                  "amount_captured": intent["amount"] if captured else 0,
                  "amount_refunded": 0, "captured": captured, "refunded": False,
                  "payment_intent": intent["id"], "status": "succeeded",
                  "outcome": {"risk_level": risk_level, "type": "authorized"},
                  "payment_method_details": {"type": "card",
                                             "card": {"brand": brand, "last4": last4}}}
        self.charges[charge["id"]] = charge
        return charge

    def _expanded(self, intent: dict, expand: list[str]) -> dict:
        body = json.loads(json.dumps(intent))
        if "latest_charge" in expand and body.get("latest_charge"):
            body["latest_charge"] = self.charges[body["latest_charge"]]
        return body

    def handle(self, method: str, path: str, params: dict) -> tuple[int, dict]:
        parts = [p for p in path.split("/") if p]
        if parts[:2] == ["v1", "payment_intents"]:
            if method == "POST" and len(parts) == 2:
                intent_id = f"pi_{secrets.token_hex(12)}"
                self.intents[intent_id] = {
                    "id": intent_id, "object": "payment_intent",
                    "amount": int(params["amount"]), "currency": params["currency"],
                    "capture_method": params.get("capture_method", "automatic"),
                    "client_secret": f"{intent_id}_secret_{secrets.token_hex(8)}",
                    "status": "requires_payment_method", "amount_received": 0,
                    "amount_capturable": 0, "latest_charge": None, "last_payment_error": None,
                    "metadata": params.get("metadata", {}), "livemode": False,
                }
                return 200, self.intent(intent_id)
            intent = self.intents.get(parts[2]) if len(parts) > 2 else None
            if intent is None:
                return 404, _error("resource_missing", "No such payment_intent")
            expand = params.get("expand", [])
            if method == "GET" and len(parts) == 3:
                return 200, self._expanded(intent, expand)
            if method == "POST" and parts[3:] == ["capture"]:
                if intent["status"] != "requires_capture":
                    return 400, _error("payment_intent_unexpected_state",
                                       "This PaymentIntent could not be captured.")
                amount = int(params.get("amount_to_capture", intent["amount"]))
                intent.update(status="succeeded", amount_received=amount, amount_capturable=0)
                charge = self.charges[intent["latest_charge"]]
                charge.update(captured=True, amount_captured=amount)
                return 200, self._expanded(intent, expand)
            if method == "POST" and parts[3:] == ["cancel"]:
                if intent["status"] == "succeeded":
                    return 400, _error("payment_intent_unexpected_state",
                                       "You cannot cancel this PaymentIntent because it has a "
                                       "status of succeeded.")
                intent["status"] = "canceled"
                return 200, self.intent(intent["id"])
        if parts == ["v1", "refunds"] and method == "POST":
            intent = self.intents.get(params.get("payment_intent", ""))
            if intent is None or not intent.get("latest_charge"):
                return 404, _error("resource_missing", "No such payment_intent")
            charge = self.charges[intent["latest_charge"]]
            remaining = charge["amount_captured"] - charge["amount_refunded"]
            amount = int(params.get("amount", remaining))
            if amount > remaining:
                return 400, _error("amount_too_large",
                                   f"Refund amount ({amount}) is greater than unrefunded "
                                   "amount on charge.")
            charge["amount_refunded"] += amount
            charge["refunded"] = charge["amount_refunded"] >= charge["amount_captured"]
            refund = {"id": f"re_{secrets.token_hex(12)}", "object": "refund", "amount": amount,
                      "currency": charge["currency"], "charge": charge["id"],
                      "payment_intent": intent["id"], "status": "succeeded"}
            self.refunds[refund["id"]] = refund
            return 200, refund
        return 404, _error("resource_missing", f"Unrecognized request URL ({method} {path})")

    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:  # quiet
                pass

            def _serve(self, method: str) -> None:
                url = urlparse(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode() if length else ""
                params = _nest(parse_qsl(url.query) + parse_qsl(body))
                key = self.headers.get("Idempotency-Key")
                with fake._lock:
                    fake.requests.append({"method": method, "path": url.path, "params": params,
                                          "idempotency_key": key,
                                          "authorization": self.headers.get("Authorization")})
                    hang = fake._hang_next > 0
                    if hang:
                        fake._hang_next -= 1
                    fail = fake._fail_next > 0
                    if fail:
                        fake._fail_next -= 1
                if hang:
                    fake._stopping.wait(12)  # past the adapter's timeout
                if not self.headers.get("Authorization", "").startswith("Bearer sk_"):
                    status, answer = 401, _error("", "Invalid API Key provided.")
                elif fail:
                    status, answer = fake._fail_status, _failure(fake._fail_status)
                else:
                    with fake._lock:
                        cache_key = (method, url.path, key) if key and method == "POST" else None
                        if cache_key and cache_key in fake._idempotent:
                            status, answer = fake._idempotent[cache_key]
                        else:
                            status, answer = fake.handle(method, url.path, params)
                            if cache_key:
                                fake._idempotent[cache_key] = (status, answer)
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.send_header("Request-Id", f"req_{secrets.token_hex(6)}")
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                self._serve("GET")

            def do_POST(self) -> None:
                self._serve("POST")

            def do_DELETE(self) -> None:
                self._serve("DELETE")

        return Handler


def _error(code: str, message: str, kind: str = "invalid_request_error") -> dict:
    return {"error": {"type": kind, "code": code, "message": message}}


def _failure(status: int) -> dict:
    if status == 402:
        return _error("card_declined", "Your card was declined.", kind="card_error")
    if status == 429:
        return _error("rate_limit", "Too many requests hit the API too quickly.")
    return _error("api_error", "Something went wrong on Stripe's end.", kind="api_error")
