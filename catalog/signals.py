"""Catalog signals, sent after commit by ``catalog.services``; receivers enqueue tasks."""

from django.dispatch import Signal

# image_id: a product image with a file was stored; its thumbnails are still to be made.
image_uploaded = Signal()
