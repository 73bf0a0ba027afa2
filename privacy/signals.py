"""Signals privacy sends, after commit."""

from django.dispatch import Signal

# A guest asked for the link to their data and an order matched: email it (request_id).
data_link_requested = Signal()
