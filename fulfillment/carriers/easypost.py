"""EasyPost, through its official SDK: rates, buying the lowest-priced label (as a PDF),
trackers and their signed webhooks. The only module that imports ``easypost``.

EasyPost has no idempotency header, so a purchase is made idempotent by the shipment's
``reference`` (our idempotency key): before creating a shipment at EasyPost we look for one
with that reference that already has postage, and reuse it. The remaining window (a crash
between EasyPost's "bought" and its search index) is covered by LabelPurchase's claim,
which keeps a second worker from buying while the first is in flight.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import easypost
import requests
from django.conf import settings
from easypost.errors import (
    ApiError,
    BadRequestError,
    InvalidRequestError,
    NotFoundError,
    PaymentError,
    SignatureVerificationError,
    UnauthorizedError,
)
from easypost.util import validate_webhook

from ..exceptions import CarrierError, FulfillmentError
from .interface import LabelResult, Parcel, Rate, TrackingUpdate

GRAMS_PER_OUNCE = Decimal("28.349523125")
CM_PER_INCH = Decimal("2.54")
STATUS = {"pre_transit": "shipped", "in_transit": "in_transit",
          "out_for_delivery": "out_for_delivery", "delivered": "delivered",
          "available_for_pickup": "out_for_delivery", "failure": "exception",
          "return_to_sender": "exception", "error": "exception", "cancelled": "exception"}
REFUSALS = (BadRequestError, InvalidRequestError, NotFoundError, PaymentError,
            UnauthorizedError)


def _client() -> easypost.EasyPostClient:
    if not settings.EASYPOST_API_KEY:
        raise CarrierError("EASYPOST_API_KEY is not set.")
    base = settings.EASYPOST_API_BASE
    if base:
        return easypost.EasyPostClient(settings.EASYPOST_API_KEY, api_base=base, timeout=20)
    return easypost.EasyPostClient(settings.EASYPOST_API_KEY, timeout=20)


def _address(address, *, name: str | None = None) -> dict:
    return {"name": name or address.full_name, "company": getattr(address, "company", ""),
            "street1": address.line1, "street2": address.line2, "city": address.city,
            "state": address.region, "zip": address.postal_code, "country": address.country,
            "phone": address.phone}


def _warehouse_address(warehouse) -> dict:
    return {"company": settings.SHOP_NAME, "name": warehouse.name,
            "street1": warehouse.address_line1, "street2": warehouse.address_line2,
            "city": warehouse.city, "zip": warehouse.postal_code,
            "country": warehouse.country_code}


def _shipment_params(shipment, parcel: Parcel) -> dict:
    dimensions = {}
    for key, value in (("length", parcel.length_cm), ("width", parcel.width_cm),
                       ("height", parcel.height_cm)):
        if value:
            dimensions[key] = float((Decimal(value) / CM_PER_INCH).quantize(Decimal("0.1")))
    weight = float((Decimal(parcel.weight_grams) / GRAMS_PER_OUNCE).quantize(Decimal("0.1")))
    return {"to_address": _address(shipment.order.shipping_address),
            "from_address": _warehouse_address(shipment.warehouse),
            "parcel": {"weight": weight, **dimensions}, "options": {"label_format": "PDF"}}


def _call(request):
    try:
        return request()
    except REFUSALS as error:
        raise FulfillmentError(f"EasyPost refused: {error.message}") from error
    except (ApiError, requests.RequestException) as error:
        raise CarrierError(f"EasyPost unavailable: {error}") from error


class EasyPostCarrier:
    name = "easypost"

    def rates(self, *, shipment, parcel: Parcel) -> list[Rate]:
        client = _client()
        created = _call(lambda: client.shipment.create(**_shipment_params(shipment, parcel)))
        return sorted((Rate(service=f"{r.carrier} {r.service}", price=Decimal(str(r.rate)),
                            estimated_days=getattr(r, "delivery_days", None))
                       for r in created.rates), key=lambda rate: rate.price)

    def void_label(self, *, reference: str) -> None:
        client = _client()
        _call(lambda: client.shipment.refund(reference))

    def buy_label(self, *, shipment, parcel: Parcel, idempotency_key: str) -> LabelResult:
        client = _client()
        existing = _call(lambda: client.shipment.all(page_size=5, purchased=True,
                                                     reference=idempotency_key))
        bought = next((s for s in existing.get("shipments", [])
                       if getattr(s, "reference", None) == idempotency_key
                       and getattr(s, "postage_label", None)), None)
        if bought is None:
            created = _call(lambda: client.shipment.create(
                reference=idempotency_key, **_shipment_params(shipment, parcel)))
            rate = _call(created.lowest_rate)
            bought = _call(lambda: client.shipment.buy(created.id, rate=rate))
        label = bought.postage_label
        pdf = _call(lambda: requests.get(label.label_pdf_url or label.label_url, timeout=20))
        if pdf.status_code != 200:
            raise CarrierError(f"Label download failed with {pdf.status_code}.")
        rate = bought.selected_rate
        return LabelResult(tracking_number=bought.tracking_code, pdf=pdf.content,
                           cost=Decimal(str(rate.rate)), reference=bought.id,
                           service=f"{rate.carrier} {rate.service}",
                           estimated_days=getattr(rate, "delivery_days", None))

    def track(self, *, tracking_number: str) -> list[TrackingUpdate]:
        client = _client()
        tracker = _call(lambda: client.tracker.create(tracking_code=tracking_number))
        return updates_from_tracker(tracker.to_dict() if hasattr(tracker, "to_dict")
                                    else dict(tracker))


def updates_from_tracker(tracker: dict) -> list[TrackingUpdate]:
    """Our tracking updates from an EasyPost Tracker (from the API or a webhook event)."""
    updates = []
    for detail in tracker.get("tracking_details") or []:
        status = STATUS.get(detail.get("status", ""))
        if status is None:
            continue
        when = detail.get("datetime") or ""
        try:
            occurred = datetime.fromisoformat(when.replace("Z", "+00:00"))
        except ValueError:
            occurred = datetime.now(UTC)
        location = detail.get("tracking_location") or {}
        updates.append(TrackingUpdate(
            event_id=f"{tracker.get('id', '')}:{when}:{detail.get('status', '')}",
            status=status, occurred_at=occurred,
            location=", ".join(p for p in (location.get("city"), location.get("state")) if p),
            description=str(detail.get("message") or "")[:300]))
    return updates


def verify_webhook(body: bytes, headers) -> dict:
    """The event of a webhook signed with CARRIER_WEBHOOK_SECRET (EasyPost's HMAC scheme),
    or ValueError."""
    if not settings.CARRIER_WEBHOOK_SECRET:
        raise ValueError("CARRIER_WEBHOOK_SECRET is not set.")
    signature = headers.get("X-Hmac-Signature")
    if signature is not None and not signature.isascii():  # compare_digest raises TypeError
        raise ValueError("The X-Hmac-Signature header is not ASCII.")
    try:
        event = validate_webhook(body, {"X-Hmac-Signature": signature},
                                 settings.CARRIER_WEBHOOK_SECRET)
    except (SignatureVerificationError, ValueError) as error:
        raise ValueError(str(error)) from error
    if not isinstance(event, dict):
        raise ValueError("The event is not an object.")
    return event
