"""Payment gateways behind one interface. ``get_gateway(name)`` returns the adapter."""

from __future__ import annotations

from django.conf import settings

from .base import Gateway, GatewayResult


def get_gateway(name: str) -> Gateway:
    if name == "offline":
        from .offline import OfflineGateway

        return OfflineGateway()
    if name == "stripe":
        from .stripe import StripeGateway

        return StripeGateway()
    raise ValueError(f"Unknown payment gateway {name!r}")


def default_gateway_name() -> str:
    """Stripe when it is configured, else the offline test gateway."""
    return settings.PAYMENT_GATEWAY


__all__ = ["Gateway", "GatewayResult", "get_gateway", "default_gateway_name"]
