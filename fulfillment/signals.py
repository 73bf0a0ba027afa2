"""Shipment signals, sent after commit with ``shipment_id``; receivers enqueue tasks."""

from django.dispatch import Signal

shipment_packed = Signal()  # shipment_id
shipment_status_changed = Signal()  # shipment_id, status
label_void_needed = Signal()  # shipment_id: a canceled shipment had a bought label
