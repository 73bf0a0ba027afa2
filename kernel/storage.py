"""Private documents: shipping and return labels (and any other document with a shopper's
name and address) live in the ``"private"`` storage under unguessable names.

Public media (product photos) stay in the ``"default"`` storage, which a web server, an
S3 bucket or ``SERVE_MEDIA`` may hand to anyone. The ``"private"`` storage is never served
as files: a file system folder outside ``MEDIA_ROOT`` (``PRIVATE_MEDIA_ROOT``), or a
private S3 location with short-lived signed URLs. A document leaves it only through a view
that checks who is asking (``kernel.documents.pdf_download``).

A private field reads::

    label = models.FileField(storage=private_storage, upload_to=UnguessableName("labels"),
                             blank=True)

so its name is ``labels/<32 hex digits>.pdf``: no tracking number, order or RMA number,
no date to count through.
"""

from __future__ import annotations

import logging
import uuid
from pathlib import PurePosixPath

from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage, Storage, default_storage, storages
from django.utils.deconstruct import deconstructible

logger = logging.getLogger(__name__)

PRIVATE = "private"


def private_storage() -> Storage:
    """The storage for private documents (a callable, so settings decide it at run time and
    migrations refer to it by name)."""
    return storages[PRIVATE]


def unguessable_name(prefix: str, ext: str = ".pdf") -> str:
    """``<prefix>/<uuid4 hex><ext>``: 122 random bits, nothing derived from the document."""
    ext = ext if ext.startswith(".") or not ext else f".{ext}"
    return f"{prefix.strip('/')}/{uuid.uuid4().hex}{ext.lower()}"


@deconstructible
class UnguessableName:
    """An ``upload_to`` that ignores the given file name (it may hold a tracking or order
    number) except for its extension."""

    def __init__(self, prefix: str):
        self.prefix = prefix

    def __call__(self, instance, filename: str) -> str:
        return unguessable_name(self.prefix, PurePosixPath(filename).suffix or ".pdf")

    def __eq__(self, other) -> bool:
        return isinstance(other, UnguessableName) and other.prefix == self.prefix


class PrivateFileSystemStorage(FileSystemStorage):
    """A folder that nothing serves: it has no URL, so a template or admin field that asks
    for one fails loudly in tests instead of printing a link to a public path."""

    def url(self, name):
        raise ValueError("A private document has no public URL; link to the view that "
                         "serves it after checking the user.")


def is_private_field(field) -> bool:
    return getattr(field, "_storage_callable", None) is private_storage


def move_to_private_storage(model, field_name: str, *, prefix: str) -> int:
    """Move the files of ``model.<field_name>`` that are still in the public (default)
    storage, from before the field was private, into the private storage under new
    unguessable names; each row is updated, then the public copy deleted. Safe to run
    again: a file already in the private storage is left alone. Returns how many moved.

    Works with historical models too, so a data migration can call it."""
    field = model._meta.get_field(field_name)
    target = field.storage
    moved = 0
    rows = model._default_manager.exclude(**{field_name: ""}).exclude(
        **{f"{field_name}__isnull": True}).values_list("pk", field_name)
    for pk, old_name in rows.iterator():
        if target.exists(old_name) or not default_storage.exists(old_name):
            continue  # already private (or the file is gone: nothing to protect)
        with default_storage.open(old_name, "rb") as source:
            content = source.read()
        new_name = target.save(unguessable_name(prefix, PurePosixPath(old_name).suffix),
                               ContentFile(content))
        updated = model._default_manager.filter(pk=pk, **{field_name: old_name}).update(
            **{field_name: new_name})
        if not updated:  # changed meanwhile: keep theirs, drop our copy
            target.delete(new_name)
            continue
        default_storage.delete(old_name)
        moved += 1
    if moved:
        logger.info("Moved %s %s.%s file(s) to private storage.", moved,
                    model._meta.label, field_name)
    return moved


def check_private_media_root(app_configs=None, **kwargs):
    """System check: the private folder must not be inside the public one (a web server or
    ``SERVE_MEDIA`` serving MEDIA_ROOT would serve it too)."""
    from pathlib import Path

    from django.conf import settings
    from django.core.checks import Error

    location = getattr(storages[PRIVATE], "location", None)
    if location is None or not isinstance(storages[PRIVATE], FileSystemStorage):
        return []  # an object store: private by its ACL and signed URLs
    public = Path(settings.MEDIA_ROOT).resolve()
    private = Path(location).resolve()
    if private == public or public in private.parents:
        return [Error(f"The private storage ({private}) is inside MEDIA_ROOT ({public}), "
                      "which is served publicly.",
                      hint="Set PRIVATE_MEDIA_ROOT to a folder outside MEDIA_ROOT.",
                      id="kernel.E001")]
    return []
