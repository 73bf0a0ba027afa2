"""The reorder check: which variants need buying, drafted as purchase orders per supplier
and warehouse, and the merchant's low-stock digest.

Sales velocity is read from the stock ledger's shipment lines (``inventory.selectors.
units_shipped``), so the check lives here in inventory rather than in an app above it:
orders sit above inventory, and what left a warehouse is what that warehouse must
replace. (A shipment lags its order by a day or two; for reordering that is noise.)
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.utils import timezone

from .. import selectors
from ..models import (
    LowStockDigest,
    PurchaseOrder,
    PurchaseOrderEvent,
    ReorderRule,
    StockLevel,
    SupplierPrice,
)
from .purchasing import (
    LineRequest,
    add_to_draft,
    create_purchase_order,
    record_purchase_order_event,
)


@dataclass
class ReorderLine:
    """One rule as the check saw it."""

    rule: ReorderRule
    available: int
    incoming: int
    reorder_point: int
    velocity: Decimal | None
    supplier_price: SupplierPrice | None = None
    ordered: int = 0
    purchase_order: PurchaseOrder | None = None
    problem: str = ""

    @property
    def is_low(self) -> bool:
        return self.available <= self.reorder_point

    @property
    def position(self) -> int:
        return self.available + self.incoming


def round_to_pack(quantity: int, *, minimum: int, pack_size: int) -> int:
    """At least the supplier's minimum, rounded up to whole packs."""
    quantity = max(quantity, minimum, 1)
    return math.ceil(quantity / pack_size) * pack_size


def _supplier_price(rule: ReorderRule, prices: list[SupplierPrice]) -> SupplierPrice | None:
    """The rule's supplier when it has a price, else the cheapest active supplier (shorter
    lead time, then the older price, breaking ties)."""
    usable = [price for price in prices if price.supplier.is_active]
    if rule.supplier_id:
        chosen = [price for price in usable if price.supplier_id == rule.supplier_id]
        return chosen[0] if chosen else None
    usable.sort(key=lambda price: (price.cost, price.supplier.lead_time_days, price.pk))
    return usable[0] if usable else None


def evaluate_rules(rules: list[ReorderRule], *, now: datetime) -> list[ReorderLine]:
    """Each rule with its available, incoming and reorder point, in a fixed number of
    queries (levels, incoming, prices, one ledger query per distinct velocity window)."""
    variant_ids = {rule.variant_id for rule in rules}
    available = {
        (level.variant_id, level.warehouse_id): level.available  # sellable, as the shop sells
        for level in StockLevel.objects.filter(variant_id__in=variant_ids).only(
            "variant_id", "warehouse_id", "on_hand", "allocated", "unsellable", "safety_stock")
    }
    incoming = selectors.incoming_quantities(variant_ids=variant_ids)
    prices: dict[int, list[SupplierPrice]] = {}
    for price in SupplierPrice.objects.filter(variant_id__in=variant_ids).select_related(
            "supplier"):
        prices.setdefault(price.variant_id, []).append(price)
    shipped_by_window = {
        window: selectors.units_shipped(variant_ids=variant_ids,
                                        since=now - timedelta(days=window), until=now)
        for window in {rule.velocity_window_days for rule in rules
                       if rule.method == ReorderRule.Method.VELOCITY}
    }
    lines = []
    for rule in rules:
        key = (rule.variant_id, rule.warehouse_id)
        price = _supplier_price(rule, prices.get(rule.variant_id, []))
        velocity = None
        point = rule.reorder_point
        if rule.method == ReorderRule.Method.VELOCITY:
            sold = shipped_by_window[rule.velocity_window_days].get(key, 0)
            velocity = selectors.daily_velocity(sold, rule.velocity_window_days)
            lead_time = price.supplier.lead_time_days if price else 0
            point = selectors.velocity_reorder_point(velocity=velocity, lead_time_days=lead_time,
                                                     safety_days=rule.safety_days)
        lines.append(ReorderLine(rule=rule, available=available.get(key, 0),
                                 incoming=incoming.get(key, 0), reorder_point=point,
                                 velocity=velocity, supplier_price=price))
    return lines


def order_quantity(line: ReorderLine) -> int:
    """Units that bring available + incoming up to the point plus the reorder quantity
    (for a velocity rule without one: what sells in one window). Zero when not needed."""
    if line.position > line.reorder_point:
        return 0
    rule = line.rule
    top_up = rule.reorder_quantity
    if not top_up and line.velocity is not None:
        top_up = math.ceil(line.velocity * rule.velocity_window_days)
    return max(line.reorder_point + top_up - line.position, 0)


def draft_reorders(*, now: datetime | None = None) -> list[ReorderLine]:
    """Draft purchase orders for every active rule whose available + incoming is at or
    below its reorder point, one draft per supplier and warehouse, quantities rounded up to
    the supplier's minimum and pack size.

    Never drafts twice for the same need: drafts, sent and partly received orders count as
    incoming, and the rules are locked (pk order) for the whole check, so a second run,
    even a concurrent one, sees the first one's drafts. The check's own open draft for a
    supplier and warehouse is topped up rather than a new one made.
    Returns every rule as evaluated, with what was ordered or why nothing could be.
    """
    now = now or timezone.now()
    with transaction.atomic():
        rules = list(ReorderRule.objects.filter(is_active=True, variant__is_active=True,
                                                warehouse__is_active=True)
                     .select_related("variant", "warehouse").order_by("pk")
                     .select_for_update(of=("self",)))
        lines = evaluate_rules(rules, now=now)
        wanted: dict[tuple[int, int], list[tuple[ReorderLine, int]]] = {}
        for line in lines:
            needed = order_quantity(line)
            if not needed:
                continue
            price = line.supplier_price
            if price is None:
                line.problem = "No active supplier has a price for this variant."
                continue
            quantity = round_to_pack(needed, minimum=price.minimum_order_quantity,
                                     pack_size=price.pack_size)
            wanted.setdefault((price.supplier_id, line.rule.warehouse_id), []).append(
                (line, quantity))
        for (supplier_id, warehouse_id), needs in sorted(wanted.items()):
            draft = (PurchaseOrder.objects.select_for_update(of=("self",))
                     .filter(supplier_id=supplier_id, warehouse_id=warehouse_id,
                             status=PurchaseOrder.Status.DRAFT, drafted_automatically=True)
                     .order_by("pk").first())
            if draft is None:
                draft = create_purchase_order(
                    supplier_id=supplier_id, warehouse_id=warehouse_id, drafted_automatically=True,
                    lines=[LineRequest(variant_id=line.rule.variant_id, quantity=quantity,
                                       unit_cost=line.supplier_price.cost)
                           for line, quantity in needs])
            else:
                for line, quantity in needs:
                    add_to_draft(purchase_order=draft, variant=line.rule.variant,
                                 quantity=quantity, unit_cost=line.supplier_price.cost)
                record_purchase_order_event(
                    purchase_order=draft, type=PurchaseOrderEvent.Type.DRAFTED,
                    message="Topped up by the reorder check: " + ", ".join(
                        f"{line.rule.variant.sku} × {quantity}" for line, quantity in needs))
            for line, quantity in needs:
                line.ordered, line.purchase_order = quantity, draft
    return lines


def send_low_stock_digest(*, lines: list[ReorderLine], day: date | None = None) -> bool:
    """Email the merchant the variants at or below their reorder point, at most once a
    day: claimed and sent under the day's row lock, so a check run twice sends once.
    Nothing low, no email. Returns whether it was sent now."""
    low = [line for line in lines if line.is_low]
    if not low:
        return False
    day = day or timezone.localdate()
    with transaction.atomic():
        digest, _ = LowStockDigest.objects.get_or_create(day=day)
        digest = LowStockDigest.objects.select_for_update().get(pk=digest.pk)
        if digest.sent_at is not None:
            return False
        LowStockDigest.objects.filter(pk=digest.pk).update(sent_at=timezone.now(),
                                                           lines=F("lines") + len(low))
        context = {"lines": low, "day": day, "shop_name": settings.SHOP_NAME,
                   "admin_link": settings.SHOP_BASE_URL.rstrip("/") + "/"
                   + settings.ADMIN_URL.strip("/") + "/inventory/purchaseorder/"}
        message = EmailMultiAlternatives(
            subject=f"{settings.SHOP_NAME}: {len(low)} item{'s' if len(low) != 1 else ''} "
                    f"low on stock ({day:%Y-%m-%d})",
            body=render_to_string("emails/inventory/low_stock_digest.txt", context),
            from_email=settings.DEFAULT_FROM_EMAIL, to=[settings.SHOP_MERCHANT_EMAIL])
        message.attach_alternative(
            render_to_string("emails/inventory/low_stock_digest.html", context), "text/html")
        message.send()
    return True
