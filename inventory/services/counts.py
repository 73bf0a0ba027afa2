"""Cycle counts: choose what to count (a warehouse, a zone of bins, a list of SKUs), print
the sheet, enter what was counted, review the variances with their value, approve to post
count adjustments.

Counting never loses allocations: a line whose count would leave on hand below what is
allocated to orders is flagged for review and never posted (the database would refuse it
anyway: 0 <= allocated <= on_hand).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from catalog.models import Variant

from .. import locks
from ..exceptions import StockError
from ..models import StockCount, StockCountLine, StockLevel, StockMovement, Warehouse
from .purchasing import _actor, whole_number
from .stock import _record_movement


def parse_skus(text: str) -> list[str]:
    """SKUs one a line, or separated by commas or spaces; duplicates dropped, order kept."""
    seen: dict[str, None] = {}
    for part in (text or "").replace(",", " ").split():
        seen.setdefault(part.strip(), None)
    return list(seen)


def start_count(*, warehouse_id: int, zone: str = "", skus: str = "",
                user: AbstractBaseUser | None = None) -> StockCount:
    """Open a count of a warehouse's stock levels: all of them, those whose bin starts
    with ``zone``, or those of the listed SKUs (a listed SKU with no level there gets an
    empty one, so stock found on the shelf can be counted in). Unknown SKUs are refused."""
    warehouse = Warehouse.objects.filter(pk=warehouse_id).first()
    if warehouse is None or not warehouse.is_active:
        raise StockError("Choose an active warehouse to count.")
    wanted = parse_skus(skus)
    zone = zone.strip()
    with transaction.atomic():
        levels = StockLevel.objects.filter(warehouse=warehouse)
        if wanted:
            variants = dict(Variant.objects.filter(sku__in=wanted).values_list("sku", "pk"))
            unknown = [sku for sku in wanted if sku not in variants]
            if unknown:
                raise StockError(f"No variant has the SKU {', '.join(unknown)}.")
            for variant_id in sorted(variants.values()):
                StockLevel.objects.get_or_create(variant_id=variant_id, warehouse=warehouse)
            levels = levels.filter(variant_id__in=variants.values())
        if zone:
            levels = levels.filter(bin_location__istartswith=zone)
        if not wanted and not zone:
            levels = levels.filter(Q(on_hand__gt=0) | Q(allocated__gt=0)
                                   | ~Q(bin_location=""))
        levels = list(levels.order_by("pk"))
        if not levels:
            raise StockError("Nothing to count: no stock level matches.")
        count = StockCount.objects.create(warehouse=warehouse, zone=zone,
                                          skus="\n".join(wanted), created_by=_actor(user))
        StockCountLine.objects.bulk_create(
            StockCountLine(count=count, stock_level=level, expected=level.on_hand)
            for level in levels)
    return count


def enter_counts(*, count_id: int, counted: Mapping[int, int | None],
                 user: AbstractBaseUser | None = None) -> StockCount:
    """Record counted quantities (line id -> units; None clears a line). Each entered line
    takes today's on hand as its expected figure, and is flagged for review when the count
    is below what is allocated to orders. Refused whole on a negative or non-whole count."""
    cleaned = {int(line_id): None if value is None else
               whole_number(value, what="A counted quantity", allow_zero=True)
               for line_id, value in counted.items()}
    with transaction.atomic():
        count = locks.count_for_update(count_id)
        if count.status not in (StockCount.Status.COUNTING, StockCount.Status.IN_REVIEW):
            raise StockError(f"{count} is {count.get_status_display().lower()}; counts can no "
                             f"longer be entered.")
        lines = {line.pk: line for line in count.lines.select_for_update(of=("self",))
                 .select_related("stock_level__variant").filter(posted_at__isnull=True)}
        unknown = set(cleaned) - set(lines)
        if unknown:
            raise StockError(f"Lines {sorted(unknown)} are not open lines of {count}.")
        for line_id, value in sorted(cleaned.items()):
            line = lines[line_id]
            level = StockLevel.objects.get(pk=line.stock_level_id)
            line.counted = value
            line.expected = level.on_hand
            held = level.allocated + level.unsellable  # units that must exist
            line.needs_review = value is not None and value < held
            line.review_note = (f"{level.allocated} units are allocated to orders and "
                                f"{level.unsellable} on quality hold; a count of {value} would "
                                "leave fewer on hand. Recount, or find the units."
                                if line.needs_review else "")
            line.save(update_fields=["counted", "expected", "needs_review", "review_note"])
    return count


@dataclass
class Approval:
    count: StockCount
    posted: list[StockMovement]
    flagged: list[StockCountLine]
    uncounted: int


def approve_count(*, count_id: int, reason: str,
                  user: AbstractBaseUser | None = None) -> Approval:
    """Post the variances of every counted line as count adjustments, with ``reason``.

    Each line posts counted - expected onto today's on hand, so units shipped or received
    after the count was entered are kept. A line that would leave on hand below what is
    allocated (checked again here, under the stock level's lock) is flagged and not posted;
    the count then stays in review until it is recounted. Uncounted lines are left alone.
    Lines with no variance are closed with no movement.
    """
    if not reason.strip():
        raise StockError("Give a reason for the adjustments (e.g. cycle count, damaged).")
    with transaction.atomic():
        count = locks.count_for_update(count_id)
        if count.status not in (StockCount.Status.COUNTING, StockCount.Status.IN_REVIEW):
            count.ensure_can_become(StockCount.Status.APPROVED)
        lines = list(count.lines.select_for_update(of=("self",)).filter(posted_at__isnull=True)
                     .order_by("stock_level_id"))
        counted = [line for line in lines if line.counted is not None]
        if not counted:
            raise StockError(f"{count}: enter at least one counted quantity before approving.")
        levels = {level.pk: level for level in locks.stock_levels_for_update(
            [line.stock_level_id for line in counted]).select_related("variant", "warehouse")}
        now = timezone.now()
        posted, flagged = [], []
        for line in counted:
            level = levels[line.stock_level_id]
            new_on_hand = level.on_hand + line.variance
            if new_on_hand < level.allocated + level.unsellable:
                line.needs_review = True
                line.review_note = (f"{level.allocated} allocated and {level.unsellable} on "
                                    f"hold; posting this count would leave {new_on_hand} on "
                                    "hand. Recount.")
                line.save(update_fields=["needs_review", "review_note"])
                flagged.append(line)
                continue
            movement = None
            if line.variance:
                movement = _record_movement(
                    level=level, kind=StockMovement.Kind.COUNT_ADJUSTMENT, quantity=line.variance,
                    reason=reason, reference=count.number, user=_actor(user))
                posted.append(movement)
            line.posted_at, line.movement, line.needs_review = now, movement, False
            line.save(update_fields=["posted_at", "movement", "needs_review"])
        status = StockCount.Status.IN_REVIEW if flagged else StockCount.Status.APPROVED
        count.ensure_can_become(status)
        count.status, count.reason = status, reason[:255]
        count.approved_by, count.approved_at = _actor(user), now
        count.save(update_fields=["status", "reason", "approved_by", "approved_at"])
    return Approval(count=count, posted=posted, flagged=flagged,
                    uncounted=len(lines) - len(counted))


def cancel_count(*, count_id: int) -> StockCount:
    """Abandon a count; what was already posted stays posted."""
    with transaction.atomic():
        count = locks.count_for_update(count_id)
        count.ensure_can_become(StockCount.Status.CANCELED)
        count.status = StockCount.Status.CANCELED
        count.save(update_fields=["status"])
    return count
