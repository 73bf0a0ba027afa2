"""The customer's address book."""

from __future__ import annotations

from django.db import transaction

from kernel.errors import NotFound

from ..forms import clean_address
from ..models import Address


def save_address(*, user, data, address_id: int | None = None) -> Address:
    """Add an address to the user's book, or change one of theirs (validated)."""
    fields = clean_address(data)
    with transaction.atomic():
        if address_id is None:
            return Address.objects.create(user=user, saved=True, **fields)
        address = _own(user, address_id, lock=True)
        for name, value in fields.items():
            setattr(address, name, value)
        address.save()
        return address


def delete_address(*, user, address_id: int) -> None:
    """Remove an address from the book. Orders keep their own copies, so none changes."""
    with transaction.atomic():
        _own(user, address_id, lock=True).delete()


def _own(user, address_id, *, lock: bool = False) -> Address:
    addresses = Address.objects.filter(user=user, saved=True)
    if lock:
        addresses = addresses.select_for_update()
    try:
        return addresses.get(pk=int(address_id))
    except (Address.DoesNotExist, TypeError, ValueError):
        raise NotFound("No such address in your address book.") from None
