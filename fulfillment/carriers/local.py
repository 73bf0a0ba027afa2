"""The built-in local carrier: the shop's own couriers.

Tracking numbers follow the UPU S10 layout (two letters, eight digits, a mod-11 check digit,
a country code), so a typo is caught when a courier types one. Labels are 4x6 inch PDFs
with a Code 128 barcode of the tracking number. Rates come from CourierZone/CourierRate in
admin. Tracking is recorded by the couriers on the courier page, so ``track`` has nothing to
poll.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings

from ..pdf import shipping_label_pdf
from .interface import LabelResult, Parcel, Rate, TrackingUpdate

WEIGHTS = (8, 6, 4, 2, 3, 5, 9, 7)
PREFIX = "NW"


def check_digit(serial: str) -> int:
    remainder = 11 - sum(int(d) * w for d, w in zip(serial, WEIGHTS, strict=True)) % 11
    return {10: 0, 11: 5}.get(remainder, remainder)


RETURN_PREFIX = "NR"  # return labels: the same numbering, told apart by the prefix


def tracking_number_for(serial_number: int, country: str = "US", *, prefix: str = PREFIX) -> str:
    serial = f"{serial_number % 10**8:08d}"
    return f"{prefix}{serial}{check_digit(serial)}{country.upper()[:2]}"


def is_valid_tracking_number(value: str) -> bool:
    value = value.strip().upper()
    if len(value) != 13 or not value[:2].isalpha() or not value[2:11].isdigit():
        return False
    return check_digit(value[2:10]) == int(value[10])


def rate_for(*, country: str, postal_code: str, weight_grams: int) -> tuple[Decimal, int]:
    """(price, transit days) from the courier zones; a zone-less address pays the heaviest
    rate of the country's zones, or 0 when no zone is set up."""
    from ..models import CourierZone

    zones = [z for z in CourierZone.objects.prefetch_related("rates")
             if z.covers(country, postal_code)]
    for zone in zones:
        rate = next((r for r in zone.rates.all() if weight_grams <= r.up_to_grams), None)
        if rate is not None:
            return rate.price, zone.transit_days
    return Decimal("0.00"), 3


class LocalCarrier:
    name = "local"

    def rates(self, *, shipment, parcel: Parcel) -> list[Rate]:
        address = shipment.order.shipping_address
        price, days = rate_for(country=address.country, postal_code=address.postal_code,
                               weight_grams=parcel.weight_grams)
        return [Rate(service="Courier", price=price, estimated_days=days)]

    def void_label(self, *, reference: str) -> None:
        """Our own couriers charge nothing for an unused label; nothing to refund."""

    def buy_label(self, *, shipment, parcel: Parcel, idempotency_key: str) -> LabelResult:
        # Deterministic per shipment: buying again yields the very same label.
        address = shipment.order.shipping_address
        tracking = tracking_number_for(shipment.pk, settings.SHOP_COUNTRY)
        cost, days = rate_for(country=address.country, postal_code=address.postal_code,
                              weight_grams=parcel.weight_grams)
        pdf = shipping_label_pdf(shipment=shipment, tracking_number=tracking,
                                 service="Courier", weight_grams=parcel.weight_grams)
        return LabelResult(tracking_number=tracking, pdf=pdf, cost=cost,
                           reference=f"local:{tracking}", service="Courier",
                           estimated_days=days)

    def track(self, *, tracking_number: str) -> list[TrackingUpdate]:
        return []
