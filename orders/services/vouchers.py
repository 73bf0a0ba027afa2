"""Staff's edits to vouchers (placing an order moves ``used_count``; see placing)."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction

from .. import locks
from ..exceptions import VoucherInvalid
from ..models import Voucher


def update_voucher(*, voucher: Voucher, fields: Iterable[str]) -> Voucher:
    """Save staff's edit of an existing voucher: only ``fields`` (the ones on their form).

    Guarantees: ``used_count`` is never written back (orders move it with ``F()``; a value
    read when the page loaded would undo their uses); the usage limit is never set below the
    uses so far, checked under the voucher's row lock, which placing an order takes too, so
    no order can use the voucher between the check and the save.
    """
    with transaction.atomic():
        used = locks.voucher_for_update(voucher.pk).used_count
        if voucher.usage_limit is not None and voucher.usage_limit < used:
            raise VoucherInvalid(f"This voucher has already been used {used} times; the "
                                 "limit cannot be lower.")
        voucher.save(update_fields=[name for name in fields if name != "used_count"])
    return voucher
