"""Every change to a shipment: create from a paid order, pick, pack (scan to verify), buy
the label, ship (stock leaves), track, deliver, collect at the store, cancel.

Each transition locks the shipment (``fulfillment.locks``), checks
``Shipment.TRANSITIONS``, writes the new state, a tracking event where the shopper should
see it, and an order event. Carriers are never called inside a transaction: the label
purchase is claimed and committed first. Import from here: ``from fulfillment import
services``.
"""

from ..exceptions import FulfillmentError
from ..locks import shipment_for_update
from .labels import LABEL_CLAIM_TIMEOUT, purchase_label, void_label
from .packing import ScanResult, complete_packing, scan_item
from .picking import PickRow, create_pick_list, mark_picked, pick_list_rows
from .shipments import State, cancel_shipment, create_shipments
from .tracking import collect_pickup, courier_update, record_tracking, ship_by_scan, ship_shipment

__all__ = [
    "LABEL_CLAIM_TIMEOUT", "FulfillmentError", "PickRow", "ScanResult", "State",
    "cancel_shipment", "collect_pickup", "complete_packing", "courier_update",
    "create_pick_list", "create_shipments", "mark_picked", "pick_list_rows",
    "purchase_label", "record_tracking", "scan_item", "ship_by_scan", "ship_shipment",
    "shipment_for_update", "void_label",
]
