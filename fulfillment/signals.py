"""Shipment signals, sent after commit with ``shipment_id``; receivers enqueue tasks."""

from django.dispatch import Signal

shipment_packed = Signal()  # shipment_id: a carrier parcel is packed and needs its label
ready_for_pickup = Signal()  # shipment_id: a pickup parcel is packed, the shopper may come
shipment_status_changed = Signal()  # shipment_id, status
label_void_needed = Signal()  # shipment_id: a canceled shipment had a bought label
