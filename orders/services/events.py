from __future__ import annotations

from ..models import Order, OrderEvent


def record_event(order: Order, type: str, message: str = "", *, actor=None,
                 data: dict | None = None) -> OrderEvent:
    """Append one line to the order's timeline (call inside the service's transaction)."""
    return OrderEvent.objects.create(
        order=order, type=type, message=message[:500], data=data or {},
        actor=actor if actor is not None and getattr(actor, "is_authenticated", False) else None,
    )
