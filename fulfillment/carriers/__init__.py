"""Carriers behind one interface. The local carrier (the shop's own couriers) is built in;
EasyPost is used when EASYPOST_API_KEY is set and the shipment's carrier is "easypost".

The adapters import the interface (``.interface``) and the errors (``fulfillment.exceptions``),
never this package nor the services, so choosing one here makes no import cycle.
"""

from __future__ import annotations

from ..exceptions import CarrierError
from .interface import Carrier, LabelResult, Parcel, Rate, TrackingUpdate

__all__ = ["Carrier", "CarrierError", "LabelResult", "Parcel", "Rate", "TrackingUpdate",
           "get_carrier"]


def get_carrier(name: str) -> Carrier:
    if name == "local":
        from .local import LocalCarrier

        return LocalCarrier()
    if name == "easypost":
        from .easypost import EasyPostCarrier

        return EasyPostCarrier()
    raise ValueError(f"No carrier {name!r}")
