"""What every carrier adapter takes and gives back, and the protocol it follows."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol


@dataclass(frozen=True)
class Parcel:
    weight_grams: int
    length_cm: int | None
    width_cm: int | None
    height_cm: int | None


@dataclass(frozen=True)
class LabelResult:
    tracking_number: str
    pdf: bytes
    cost: Decimal
    reference: str
    service: str
    estimated_days: int | None = None


@dataclass(frozen=True)
class Rate:
    service: str
    price: Decimal
    estimated_days: int | None


@dataclass(frozen=True)
class TrackingUpdate:
    event_id: str
    status: str  # a Shipment.State
    occurred_at: object  # aware datetime
    location: str = ""
    description: str = ""


class Carrier(Protocol):
    name: str

    def rates(self, *, shipment, parcel: Parcel) -> list[Rate]: ...

    def buy_label(self, *, shipment, parcel: Parcel, idempotency_key: str) -> LabelResult: ...

    def void_label(self, *, reference: str) -> None:
        """Cancel a bought, unused label (the carrier refunds it)."""

    def track(self, *, tracking_number: str) -> list[TrackingUpdate]: ...
