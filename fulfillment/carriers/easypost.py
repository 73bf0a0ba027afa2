"""EasyPost, through its official SDK: rates, buying the lowest-priced label (as a PDF),
trackers and their signed webhooks. The only module that imports ``easypost``.

EasyPost has no idempotency header, so a purchase is made idempotent by the shipment's
``reference`` (our idempotency key): before creating a shipment at EasyPost we look for one
with that reference that already has postage, and reuse it. The remaining window (a crash
between EasyPost's "bought" and its search index) is covered by LabelPurchase's claim,
which keeps a second worker from buying while the first is in flight.
"""

from __future__ import annotations

from dataclasses import dataclass
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

from kernel.json_input import MAX_DEPTH, MalformedJSON, deeper_than, load_json

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
        try:
            return updates_from_tracker(tracker.to_dict() if hasattr(tracker, "to_dict")
                                        else dict(tracker))
        except MalformedTracker as error:
            raise CarrierError(f"EasyPost sent a tracker the shop can't read: {error}") \
                from error


# The columns a tracker's texts go to (TrackingEvent, Shipment.tracking_number): a longer
# text is refused, never cut (a cut id would merge different events into one).
EVENT_ID_LENGTH = 100
TRACKING_CODE_LENGTH = 40
LOCATION_LENGTH = 120
DESCRIPTION_LENGTH = 300
MAX_DETAILS = 500


class MalformedTracker(ValueError):
    """A tracker (from a webhook or the API) of a shape EasyPost never sends; the message
    names the field."""


@dataclass(frozen=True)
class TrackerEvent:
    """A signed ``tracker.*`` webhook event, read: the parcel's code and its updates."""

    tracking_code: str
    updates: list[TrackingUpdate]


def _text(obj: dict, key: str, *, limit: int, where: str) -> str:
    value = obj.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise MalformedTracker(f"{where}{key} is not a string.")
    if "\x00" in value:
        raise MalformedTracker(f"{where}{key} contains a NUL character.")
    if len(value) > limit:
        raise MalformedTracker(f"{where}{key} is longer than {limit} characters.")
    return value


def _object(obj: dict, key: str, *, where: str = "") -> dict:
    value = obj.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise MalformedTracker(f"{where}{key} is not an object.")
    return value


def _occurred(when: str, where: str) -> datetime:
    """The detail's time (ISO 8601; without a zone, UTC); now when it has none."""
    if not when:
        return datetime.now(UTC)
    try:
        occurred = datetime.fromisoformat(when.replace("Z", "+00:00"))
        if occurred.tzinfo is None:
            occurred = occurred.replace(tzinfo=UTC)
        return occurred.astimezone(UTC)
    except (ValueError, OverflowError) as error:
        raise MalformedTracker(f"{where}datetime is not a date and time.") from error


def _update(tracker_id: str, detail, index: int) -> TrackingUpdate | None:
    where = f"tracking_details[{index}]."
    if not isinstance(detail, dict):
        raise MalformedTracker(f"tracking_details[{index}] is not an object.")
    carrier_status = _text(detail, "status", limit=EVENT_ID_LENGTH, where=where)
    when = _text(detail, "datetime", limit=64, where=where)
    occurred = _occurred(when, where)
    location = _object(detail, "tracking_location", where=where)
    place = ", ".join(part for part in (
        _text(location, "city", limit=LOCATION_LENGTH, where=where + "tracking_location."),
        _text(location, "state", limit=LOCATION_LENGTH, where=where + "tracking_location."),
    ) if part)
    if len(place) > LOCATION_LENGTH:
        raise MalformedTracker(f"{where}tracking_location is longer than {LOCATION_LENGTH} "
                               "characters.")
    description = _text(detail, "message", limit=DESCRIPTION_LENGTH, where=where)
    event_id = f"{tracker_id}:{when}:{carrier_status}"
    if len(event_id) > EVENT_ID_LENGTH:
        raise MalformedTracker(f"The tracker id, {where}datetime and status together are "
                               f"longer than {EVENT_ID_LENGTH} characters.")
    status = STATUS.get(carrier_status)
    if status is None:  # a status with no meaning for the shipment (unknown, say)
        return None
    return TrackingUpdate(event_id=event_id, status=status, occurred_at=occurred,
                          location=place, description=description)


def updates_from_tracker(tracker) -> list[TrackingUpdate]:
    """Our tracking updates from an EasyPost Tracker (from the API or a webhook event).
    MalformedTracker, before anything is recorded, when any part of it has the wrong shape
    or a text too long for its column."""
    if not isinstance(tracker, dict):
        raise MalformedTracker("The tracker is not an object.")
    tracker_id = _text(tracker, "id", limit=EVENT_ID_LENGTH, where="")
    details = tracker.get("tracking_details")
    if details is None:
        details = []
    if not isinstance(details, list):
        raise MalformedTracker("tracking_details is not a list.")
    if len(details) > MAX_DETAILS:
        raise MalformedTracker(f"A tracker has at most {MAX_DETAILS} tracking details.")
    updates = (_update(tracker_id, detail, index) for index, detail in enumerate(details))
    return [update for update in updates if update is not None]


def tracker_event(event: dict) -> TrackerEvent | None:
    """A signed webhook event, read: None for an event that is not about a tracker (it is
    acknowledged and ignored), MalformedTracker for a tracker event of the wrong shape."""
    description = event.get("description")
    if description is not None and not isinstance(description, str):
        raise MalformedTracker("description is not a string.")
    if not (description or "").startswith("tracker."):
        return None
    tracker = event.get("result")
    if not isinstance(tracker, dict) or not tracker:
        raise MalformedTracker("result is not a tracker object.")
    code = _text(tracker, "tracking_code", limit=TRACKING_CODE_LENGTH, where="result.")
    if not code:
        raise MalformedTracker("result.tracking_code is missing.")
    return TrackerEvent(tracking_code=code, updates=updates_from_tracker(tracker))


def verify_webhook(body: bytes, headers) -> dict:
    """The event of a webhook signed with CARRIER_WEBHOOK_SECRET (EasyPost's HMAC scheme),
    or ValueError: a bad signature, or (MalformedTracker) a signed body that is not a JSON
    object the shop can read (``kernel.json_input.load_json``)."""
    if not settings.CARRIER_WEBHOOK_SECRET:
        raise ValueError("CARRIER_WEBHOOK_SECRET is not set.")
    signature = headers.get("X-Hmac-Signature")
    if signature is not None and not signature.isascii():  # compare_digest raises TypeError
        raise ValueError("The X-Hmac-Signature header is not ASCII.")
    if deeper_than(body.decode("utf-8", "replace"), MAX_DEPTH):  # the SDK's json recurses
        raise MalformedTracker(f"The document is nested more than {MAX_DEPTH} levels deep.")
    try:
        validate_webhook(body, {"X-Hmac-Signature": signature}, settings.CARRIER_WEBHOOK_SECRET)
    except SignatureVerificationError as error:
        raise ValueError(str(error)) from error
    except ValueError:  # signed, but not JSON: read again below for the reason
        pass
    try:
        event = load_json(body)  # strictly: no NaN, Infinity or NUL
    except MalformedJSON as error:
        raise MalformedTracker(str(error)) from error
    if not isinstance(event, dict):
        raise MalformedTracker("The event is not an object.")
    return event
