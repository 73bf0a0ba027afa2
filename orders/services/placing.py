"""Placing an order: one transaction that re-prices the cart, allocates stock, writes the
order as a snapshot and counts the voucher use."""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta
from functools import partial
from itertools import combinations

from django.conf import settings
from django.db import connections, router, transaction
from django.db.models import F, Q
from django.utils import timezone

from inventory import services as inventory_services
from inventory.models import StockLevel
from kernel.errors import InvalidTransition
from kernel.prepared import SENTINEL, PreparedRead, ids_in

from .. import locks
from ..exceptions import CheckoutIncomplete, OutOfStock, VoucherInvalid
from ..locks import CartKey
from ..models import Address, Allocation, Cart, Order, OrderEvent, OrderLine, Voucher, VoucherUse
from ..selectors import build_checkout, voucher_problem
from ..signals import order_paid, order_placed
from .events import record_event

STEP_MESSAGES = {
    "cart": "Your cart is empty.",
    "email": "Enter your email address.",
    "address": "Enter a shipping address.",
    "shipping": "Choose a shipping method.",
    "billing": "Enter a billing address.",
}


def place_order(*, cart: Cart | CartKey, user=None, customer_ip: str | None = None) -> Order:
    """Turn a completed checkout into an order.

    Preconditions: every checkout step is done; every line can be bought.
    Guarantees, all in one transaction (on any error nothing is written):
    - totals are computed here from catalog prices; nothing the client sent is used;
    - stock is allocated with the conditional update, from the fewest warehouses that
      together hold the whole order (ties go to warehouse priority), splitting a line only
      when no single one of them has it all; stock rows are locked in primary-key order
      (no deadlocks);
    - the voucher use is counted under the voucher's lock (total and per-customer limits);
    - the order, its lines (a snapshot of SKU, names, options, prices, tax), its
      allocations and a "placed" event are written;
    - placing the same cart again returns the same order (one order per checkout token).
    - a signed-in buyer's account is locked first and must be active: an account being
      closed (``privacy`` locks the account, then its orders and carts) takes no new order.
    ``order_placed`` is sent after commit.
    """
    with transaction.atomic():
        if user is not None and user.is_authenticated:
            locks.active_account_for_order(user.pk)
        cart = locks.lock_cart(cart)
        if cart.status == Cart.Status.ORDERED:
            # The order and the cart's new status are written in one transaction, so an
            # ordered cart has its order.
            existing = Order.objects.filter(checkout_token=cart.token).first()
            if existing is not None:
                return existing
        if cart.status != Cart.Status.OPEN:
            raise CheckoutIncomplete("This cart has already been checked out.", code="cart_closed")
        view = build_checkout(cart, images=False)
        missing = view.missing_steps()
        if missing:
            raise CheckoutIncomplete(STEP_MESSAGES[missing[0]], code=f"{missing[0]}_missing")
        unsellable = [f"{item.variant}" for item in view.items
                      if not (item.variant.is_active and item.product.is_published)]
        if unsellable:
            raise CheckoutIncomplete(f"No longer sold: {', '.join(unsellable)}. Remove it from "
                                     "your cart to continue.", code="variant_unavailable")
        if view.voucher_problem:
            raise VoucherInvalid(view.voucher_problem)
        totals, shipping = view.totals, view.shipping
        order = _write_order(cart=cart, view=view, user=user, customer_ip=customer_ip)
        lines = _write_lines(order, view)
        if cart.voucher_id:
            _count_voucher_use(cart.voucher_id, order)
        record_event(order, OrderEvent.Type.PLACED,
                     f"Order placed: {len(lines)} line(s), total {order.money('total')}.",
                     actor=user,
                     data={"total": str(totals.total), "shipping": shipping.method.name})
        cart.status = Cart.Status.ORDERED
        cart.save(update_fields=["status", "updated_at"])
        # Stock last: its rows are the ones every buyer of a popular item waits for, so
        # they are locked for as short a time as possible (three statements, then commit).
        allocate_lines(lines, pickup_warehouse_id=order.pickup_warehouse_id)
        transaction.on_commit(partial(order_placed.send, sender=Order, order_id=order.pk))
        if order.total == 0:
            _mark_nothing_to_pay(order)
        order.placed_lines = lines  # as written, in order: callers answer without a read
        return order


def settle_zero_total_order(*, order_id: int, actor=None) -> Order:
    """Mark an open, unpaid order whose total is zero as paid, without any gateway.

    ``place_order`` does this as it places such an order; this is for one still unpaid
    (placed before that, or by a path that didn't). Idempotent: an order already paid is
    returned as it is. Raises InvalidTransition for an order with something to pay or a
    canceled one. ``order_paid`` is sent after commit, so fulfillment starts.
    """
    with transaction.atomic():
        order = locks.order_for_update(order_id)
        if order.total != 0:
            raise InvalidTransition(f"Order {order.number} has {order.money('total')} to pay.")
        if order.payment_status != Order.PaymentStatus.UNPAID:
            return order
        if order.status != Order.Status.OPEN:
            status = order.get_status_display().lower()
            raise InvalidTransition(f"Order {order.number} is {status} and can't be paid.")
        _mark_nothing_to_pay(order, actor=actor)
        return order


def _mark_nothing_to_pay(order: Order, *, actor=None) -> None:
    """Inside the caller's transaction, the order locked (or just written): paid, with no
    payment row and no gateway call; the deadline cleared so its stock stays."""
    order.ensure_payment_status(Order.PaymentStatus.PAID)
    order.payment_status = Order.PaymentStatus.PAID
    order.paid_at = timezone.now()
    order.payment_due_by = None
    order.save(update_fields=["payment_status", "paid_at", "payment_due_by", "updated_at"])
    record_event(order, OrderEvent.Type.PAYMENT_CAPTURED,
                 f"Nothing to pay: the total is {order.money('total')}, so the order is paid "
                 "without a card.", actor=actor,
                 data={"amount": "0.00", "zero_total": True})
    transaction.on_commit(partial(order_paid.send, sender=Order, order_id=order.pk))


def _copy_address(address: Address | None) -> Address | None:
    return Address.objects.create(**address.as_dict()) if address is not None else None


def _write_order(*, cart: Cart, view, user, customer_ip) -> Order:
    totals, shipping = view.totals, view.shipping
    shipping_address = _copy_address(cart.shipping_address)
    billing_address = (shipping_address if cart.billing_same_as_shipping
                       else _copy_address(cart.billing_address))
    now = timezone.now()
    order = Order.objects.create(
        number=f"tmp-{cart.token.hex[:16]}",
        checkout_token=cart.token,
        user=user if user is not None and user.is_authenticated else cart.user,
        email=cart.email,
        currency=totals.currency,
        prices_include_tax=totals.prices_include_tax,
        subtotal=totals.subtotal, discount_amount=totals.discount,
        shipping_amount=totals.shipping, tax_amount=totals.tax, total=totals.total,
        shipping_address=shipping_address, billing_address=billing_address,
        shipping_method=shipping.method, shipping_method_name=shipping.method.name,
        pickup_warehouse=shipping.method.pickup_warehouse if shipping.method.is_pickup else None,
        delivery_earliest=shipping.delivery_earliest, delivery_latest=shipping.delivery_latest,
        voucher_id=cart.voucher_id if totals.discount or cart.voucher_id else None,
        voucher_code=cart.voucher.code if cart.voucher_id else "",
        customer_note=cart.customer_note, customer_ip=customer_ip,
        payment_due_by=now + timedelta(minutes=settings.SHOP_UNPAID_ORDER_TIMEOUT_MINUTES),
    )
    # Human-friendly and sequential; links use the unguessable token instead.
    order.number = str(100000 + order.pk)
    Order.objects.filter(pk=order.pk).update(number=order.number)
    return order


def _write_lines(order: Order, view) -> list[OrderLine]:
    priced = {line.key: line for line in view.totals.lines}
    lines = []
    for item in view.items:
        price = priced[item.variant.pk]
        lines.append(OrderLine(
            order=order, variant=item.variant, product_name=item.product.title,
            variant_name=item.variant.title, sku=item.variant.sku, quantity=item.quantity,
            unit_price=price.unit_price, discount_amount=price.discount, tax_rate=price.tax_rate,
            tax_amount=price.tax, total=price.total, weight_grams=item.variant.weight_grams,
            final_sale=item.product.final_sale,
        ))
    return OrderLine.objects.bulk_create(lines)


def _levels_query(variant_ids, pickup_warehouse_id=None, *, as_array: bool = False):
    """The stock levels of these variants in active warehouses (only the pickup one, when
    given), with their warehouse, locked in primary-key order. ``as_array`` (PostgreSQL):
    the SQL is the same for any cart and is compiled once (``_LEVELS``)."""
    levels = StockLevel.objects.filter(variant_id__in=ids_in(variant_ids, as_array=as_array),
                                       warehouse__is_active=True)
    if pickup_warehouse_id is not None:
        levels = levels.filter(warehouse_id=pickup_warehouse_id)
    return levels.select_related("warehouse").order_by("pk").select_for_update(of=("self",))


_LEVELS = PreparedRead(lambda ids: _levels_query(ids, as_array=True), sentinel=[SENTINEL])
_LEVELS_AT_PICKUP = PreparedRead(lambda ids, pickup: _levels_query(ids, pickup, as_array=True),
                                 sentinels=([SENTINEL], SENTINEL))


def _levels_for_update(variant_ids: list[int], pickup_warehouse_id: int | None) -> list:
    db = router.db_for_write(StockLevel)
    if connections[db].vendor != "postgresql":
        return list(_levels_query(variant_ids, pickup_warehouse_id or None))
    if pickup_warehouse_id:
        return _LEVELS_AT_PICKUP.objects(variant_ids, pickup_warehouse_id, using=db)
    return _LEVELS.objects(variant_ids, using=db)


def allocate_lines(lines: list[OrderLine], *, pickup_warehouse_id: int | None = None) -> None:
    """Allocate stock for order lines (call inside a transaction).

    Locks every stock level of the lines' variants in primary-key order, plans from the
    locked numbers (the fewest warehouses that cover every line, ties broken by priority,
    so the order ships in as few parcels as possible), and takes the units with the
    conditional update. Raises OutOfStock naming every line that can't be covered.
    """
    wanted: dict[int, int] = defaultdict(int)
    for line in lines:
        wanted[line.variant_id] += line.quantity
    levels = _levels_for_update(sorted(wanted), pickup_warehouse_id)
    # What each level may sell (on hand less allocated, unsellable and safety stock): the
    # same rule allocate_units applies in its conditional update.
    free = {level.pk: level.available for level in levels}
    by_variant: dict[int, list[StockLevel]] = defaultdict(list)
    for level in sorted(levels, key=lambda lv: (lv.warehouse.priority, lv.warehouse.code)):
        by_variant[level.variant_id].append(level)

    short = [line for line in lines
             if sum(free[lv.pk] for lv in by_variant[line.variant_id]) < wanted[line.variant_id]]
    if short:
        raise OutOfStock("Not enough stock: " + "; ".join(
            _shortage(line, sum(max(free[lv.pk], 0) for lv in by_variant[line.variant_id]))
            for line in short) + ".")

    # The fewest warehouses that together hold the order: fewer parcels. Lines are then
    # taken only from those warehouses, each from one warehouse when one has it all.
    chosen = _fewest_warehouses(levels, wanted, free)
    plan: dict[tuple[int, int], int] = defaultdict(int)  # (line index, level pk) -> units
    for index, line in enumerate(lines):
        candidates = [lv for lv in by_variant[line.variant_id] if lv.warehouse_id in chosen]
        remaining = line.quantity
        single = [lv for lv in candidates if free[lv.pk] >= remaining]
        if single:
            candidates = single[:1]
        for level in candidates:
            take = min(free[level.pk], remaining)
            if take <= 0:
                continue
            plan[(index, level.pk)] += take
            free[level.pk] -= take
            remaining -= take
            if remaining == 0:
                break

    per_level: dict[int, int] = defaultdict(int)
    for (_, level_pk), quantity in plan.items():
        per_level[level_pk] += quantity
    if not inventory_services.allocate_units_of_levels(quantities=per_level):
        # Unreachable while the rows are locked; the check constraint is the last guard.
        raise OutOfStock("Stock changed while your order was being placed. Try again.")
    Allocation.objects.bulk_create([
        Allocation(order_line=lines[index], stock_level_id=level_pk, quantity=quantity)
        for (index, level_pk), quantity in plan.items()
    ])


# Up to this many warehouses holding the order's variants, every combination is tried;
# past it (a network of many small stores) a greedy cover is close enough and quick.
EXACT_COVER_LIMIT = 12


def _fewest_warehouses(levels: list[StockLevel], wanted: dict[int, int],
                       free: dict[int, int]) -> set[int]:
    """The smallest set of warehouses whose free units cover every variant wanted (a line
    may be split between them); among sets of that size, the one whose warehouses come
    first by (priority, code). The caller has checked that all of them together cover it."""
    rank = {lv.warehouse_id: (lv.warehouse.priority, lv.warehouse.code) for lv in levels}
    holding: dict[int, dict[int, int]] = defaultdict(dict)  # warehouse -> variant -> free
    for level in levels:
        if free[level.pk] > 0 and level.variant_id in wanted:
            holding[level.warehouse_id][level.variant_id] = free[level.pk]
    ordered = sorted(holding, key=rank.__getitem__)

    def covers(warehouse_ids) -> bool:
        return all(sum(holding[wid].get(vid, 0) for wid in warehouse_ids) >= quantity
                   for vid, quantity in wanted.items())

    if len(ordered) <= EXACT_COVER_LIMIT:
        # combinations() yields in input order, so the first cover of a size is the one
        # that ranks first by priority.
        for size in range(1, len(ordered) + 1):
            for subset in combinations(ordered, size):
                if covers(subset):
                    return set(subset)
    chosen: list[int] = []
    short = dict(wanted)
    while any(short.values()):
        best = min((wid for wid in ordered if wid not in chosen), key=lambda wid: (
            -sum(min(holding[wid].get(vid, 0), need) for vid, need in short.items()),
            rank[wid]))
        chosen.append(best)
        short = {vid: max(need - holding[best].get(vid, 0), 0) for vid, need in short.items()}
    return set(chosen)


def _shortage(line: OrderLine, available: int) -> str:
    name = line.description
    if available <= 0:
        return f"{name} is sold out"
    return f"only {available} of {name} left (you asked for {line.quantity})"


def _count_voucher_use(voucher_id: int, order: Order) -> None:
    voucher = locks.voucher_for_update(voucher_id)
    # Under the voucher's lock, by the order's email and (logged in) the order's customer.
    problem = voucher_problem(voucher, subtotal=order.subtotal, currency=order.currency,
                              email=order.email, user_id=order.user_id)
    if problem:
        raise VoucherInvalid(problem)
    VoucherUse.objects.create(voucher=voucher, order=order, email=order.email.lower())
    updated = Voucher.objects.filter(
        Q(usage_limit__isnull=True) | Q(used_count__lt=F("usage_limit")), pk=voucher.pk,
    ).update(used_count=F("used_count") + 1)
    if not updated:
        raise VoucherInvalid(f"The code {voucher.code} has been fully used.")

