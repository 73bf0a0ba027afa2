"""How a private document (label, invoice, packing slip, pick list, purchase order) leaves
the shop: as a download from a view that has already checked the user.

The answer is an attachment that no shared cache keeps (``Cache-Control: private,
no-store``), whether the PDF was drawn for this request or read from the private storage
(``kernel.storage``): reading through the storage API works the same on a local folder
and on S3, so the check on the user is made on every download.
"""

from __future__ import annotations

from django.db.models.fields.files import FieldFile
from django.http import HttpResponse
from django.utils.cache import patch_cache_control
from django.utils.http import content_disposition_header


def pdf_download(content: bytes | FieldFile, *, filename: str) -> HttpResponse:
    """A PDF download response: ``content`` is the drawn bytes or a stored file field."""
    if isinstance(content, FieldFile):
        with content.open("rb") as stored:  # a label is a few kB: read, and close at once
            content = stored.read()
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(True, filename)
    patch_cache_control(response, private=True, no_store=True, max_age=0)
    return response
