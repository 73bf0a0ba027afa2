"""What returns holds about a person: the returns of their orders, with the reasons they
gave. Registered with ``kernel.personal_data`` in ``ReturnsConfig.ready``.

Erasure keeps the return records that explain refunds and restocked stock (lines,
quantities, amounts, states, times) and drops the person's own words (notes, reasons in
their words) and the return label file (it prints their name and street). Runs before the
orders section."""

from __future__ import annotations

from functools import partial

from django.db import transaction

from kernel.money import Money
from kernel.personal_data import Subject, register_personal_data
from orders.personal_data import subject_orders

from .models import ReturnLine, ReturnRequest


def _returns(subject: Subject):
    return ReturnRequest.objects.filter(order__in=subject_orders(subject).values("pk"))


def export_returns(subject: Subject) -> list[dict]:
    """Two queries: returns with their order, then their lines."""
    returns = list(_returns(subject).select_related("order").order_by("created_at", "pk"))
    lines = ReturnLine.objects.filter(return_request__in=[r.pk for r in returns]) \
        .select_related("order_line").order_by("return_request_id", "pk")
    by_return: dict[int, list[dict]] = {}
    for line in lines:
        by_return.setdefault(line.return_request_id, []).append(
            {"sku": line.order_line.sku, "product": line.order_line.description,
             "quantity": line.quantity, "reason": line.get_reason_display(),
             "reason_note": line.reason_note, "condition": line.condition})
    result = []
    for request in returns:
        currency = request.order.currency
        result.append({
            "number": request.number, "order": request.order.number, "state": request.state,
            "resolution": request.resolution, "method": request.method,
            "note": request.customer_note, "tracking_number": request.tracking_number,
            "refund": (Money(request.refund_amount, currency)
                       if request.refund_amount is not None else None),
            "refunded": Money(request.refunded_amount, currency),
            "created_at": request.created_at, "closed_at": request.closed_at,
            "lines": by_return.get(request.pk, [])})
    return result


def _delete_files(names: list[str], storage) -> None:
    for name in names:
        storage.delete(name)


def erase_returns(subject: Subject) -> None:
    returns = _returns(subject)
    labels = [r.label for r in returns.exclude(label="").only("label")]
    ReturnLine.objects.filter(return_request__in=returns.values("pk")).update(reason_note="")
    returns.update(customer_note="", label="")
    if labels:
        # Files are not transactional: deleted once the erasure has committed.
        transaction.on_commit(partial(_delete_files, [label.name for label in labels],
                                      labels[0].storage))


def register() -> None:
    register_personal_data("returns", export=export_returns, erase=erase_returns, order=50)
