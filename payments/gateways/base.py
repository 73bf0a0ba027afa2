"""The interface every payment gateway implements.

Gateways are called outside any database transaction (see ``payments.services``): the
service commits a ``GatewayCall`` row with an idempotency key first, calls the gateway with
that key, and records the result in a new short transaction. A gateway never touches the
database itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Protocol


class GatewayError(Exception):
    """The gateway could not be reached or answered with a server error: worth retrying."""


class WebhookSignatureError(Exception):
    """A webhook whose signature or timestamp does not check out: not from the gateway."""


class MalformedWebhookEvent(Exception):
    """A correctly signed webhook whose body is not an event the shop can read (not JSON,
    the wrong shape, a field of the wrong type or too long for its column). The gateway
    sent exactly these bytes, so a retry can never succeed: it is acknowledged and logged,
    never applied."""


@dataclass(frozen=True)
class GatewayResult:
    """What a gateway answered.

    ``state`` is the payment state the gateway reports afterwards (one of
    ``Payment.State``): ``captured``, ``authorized``, ``requires_action``, ``failed``,
    ``canceled``, ``refunded``/``partially_refunded`` for refunds, or ``pending``.
    ``error`` is a sentence a shopper can read when the gateway said no.
    """

    success: bool
    state: str
    reference: str = ""
    error: str = ""
    error_code: str = ""
    card_brand: str = ""
    card_last4: str = ""
    client_secret: str = ""
    risk_level: str = ""
    raw: dict = field(default_factory=dict)


class Gateway(Protocol):
    name: str

    def authorize(self, *, amount: Decimal, currency: str, idempotency_key: str,
                  capture: bool, payment_data: dict, metadata: dict) -> GatewayResult:
        """Start a payment. ``payment_data`` is gateway-specific (the offline gateway's card
        fields, nothing for Stripe, whose card details never reach us)."""

    def confirm(self, *, reference: str, idempotency_key: str, payment_data: dict) -> GatewayResult:
        """Finish an extra authentication step, or read back the payment's current state."""

    def capture(self, *, reference: str, amount: Decimal, currency: str,
                idempotency_key: str) -> GatewayResult: ...

    def void(self, *, reference: str, idempotency_key: str) -> GatewayResult: ...

    def refund(self, *, reference: str, amount: Decimal, currency: str,
               idempotency_key: str) -> GatewayResult: ...
