"""A local stand-in for EasyPost's API (the parts the shop uses), started by the tests."""

from __future__ import annotations

import io
import json
import secrets
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

from reportlab.pdfgen import canvas


def _pdf(text: str) -> bytes:
    buffer = io.BytesIO()
    page = canvas.Canvas(buffer, pagesize=(288, 432))
    page.drawString(20, 400, text)
    page.showPage()
    page.save()
    return buffer.getvalue()


class FakeEasyPost:
    def __init__(self) -> None:
        self.shipments: dict[str, dict] = {}
        self.trackers: dict[str, dict] = {}
        self.requests: list[tuple[str, str]] = []
        self.buys = 0
        self.refunds = 0
        self._fail_next = 0
        self._lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def fail_next(self, count: int = 1) -> None:
        self._fail_next = count

    def set_tracking(self, tracking_code: str, details: list[dict]) -> None:
        self.trackers[tracking_code] = {"object": "Tracker", "id": f"trk_{tracking_code}",
                                        "tracking_code": tracking_code,
                                        "status": details[-1]["status"] if details else "unknown",
                                        "tracking_details": details}

    def handle(self, method: str, path: str, query: dict, body: dict) -> tuple[int, object]:
        parts = [p for p in path.split("/") if p]
        if parts[:2] == ["v2", "shipments"]:
            if method == "GET" and len(parts) == 2:
                reference = (query.get("reference") or [""])[0]
                found = [s for s in self.shipments.values()
                         if s["reference"] == reference and s.get("postage_label")]
                return 200, {"shipments": found, "has_more": False}
            if method == "POST" and len(parts) == 2:
                data = body.get("shipment", {})
                shipment_id = f"shp_{secrets.token_hex(8)}"
                rates = [{"object": "Rate", "id": f"rate_{secrets.token_hex(4)}", "carrier": c,
                          "service": s, "rate": r, "currency": "USD", "delivery_days": d,
                          "shipment_id": shipment_id}
                         for c, s, r, d in [("UPS", "Ground", "11.20", 4),
                                            ("USPS", "Priority", "7.45", 2)]]
                shipment = {"object": "Shipment", "id": shipment_id,
                            "reference": data.get("reference", ""),
                            "to_address": data.get("to_address"),
                            "from_address": data.get("from_address"),
                            "parcel": data.get("parcel"), "rates": rates,
                            "postage_label": None, "tracking_code": None,
                            "selected_rate": None}
                if not (data.get("to_address") or {}).get("zip"):
                    return 422, {"error": {"code": "ADDRESS.VERIFY.FAILURE",
                                           "message": "Unable to verify address.", "errors": []}}
                self.shipments[shipment_id] = shipment
                return 201, shipment
            if method == "POST" and len(parts) == 4 and parts[3] == "buy":
                shipment = self.shipments[parts[2]]
                rate_id = (body.get("rate") or {}).get("id")
                rate = next(r for r in shipment["rates"] if r["id"] == rate_id)
                self.buys += 1
                code = f"9400{secrets.randbelow(10**18):018d}"
                shipment.update(selected_rate=rate, tracking_code=code, postage_label={
                    "object": "PostageLabel", "id": f"pl_{shipment['id']}",
                    "label_url": f"{self.url}/labels/{shipment['id']}.png",
                    "label_pdf_url": f"{self.url}/labels/{shipment['id']}.pdf"})
                return 200, shipment
            if method == "POST" and len(parts) == 4 and parts[3] == "refund":
                shipment = self.shipments[parts[2]]
                self.refunds += 1
                shipment["refund_status"] = "submitted"
                return 200, shipment
        if parts[:2] == ["v2", "trackers"] and method == "POST":
            code = (body.get("tracker") or {}).get("tracking_code", "")
            tracker = self.trackers.get(code) or {"object": "Tracker", "id": f"trk_{code}",
                                                  "tracking_code": code, "status": "unknown",
                                                  "tracking_details": []}
            return 201, tracker
        if parts and parts[0] == "labels":
            return 200, _pdf(f"EASYPOST LABEL {parts[1]}")
        return 404, {"error": {"code": "NOT_FOUND", "message": f"{method} {path}"}}

    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def _serve(self, method: str) -> None:
                url = urlparse(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                body = json.loads(raw) if raw else {}
                with fake._lock:
                    fake.requests.append((method, url.path))
                    failing = fake._fail_next > 0
                    if failing:
                        fake._fail_next -= 1
                    status, answer = (500, {"error": {"code": "INTERNAL", "message": "oops"}}) \
                        if failing else fake.handle(method, url.path, parse_qs(url.query), body)
                data = answer if isinstance(answer, bytes) else json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/pdf" if isinstance(answer, bytes)
                                 else "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                self._serve("GET")

            def do_POST(self) -> None:
                self._serve("POST")

        return Handler
