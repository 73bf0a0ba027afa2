"""The offline test gateway: a card form that behaves like Stripe's test cards, with no
network and no card number ever stored (only brand and last four leave this module).

    4242 4242 4242 4242   succeeds (any future expiry, any CVC)
    4000 0000 0000 0002   declined
    4000 0000 0000 9995   declined: insufficient funds
    4000 0025 0000 3155   requires an extra authentication step (a page to approve or fail)
    4000 0000 0000 0069   declined: expired card
    4000 0000 0000 0127   declined: incorrect CVC
    5555 5555 5555 4444, 3782 822463 10005, 4000 0566 5566 5556   succeed (Mastercard, Amex,
    Visa debit)

Any other number is refused the way Stripe's test mode refuses a real card.
"""

from __future__ import annotations

import uuid
from decimal import Decimal

from django.utils import timezone

from .base import GatewayResult

SUCCEEDS = {"4242424242424242", "5555555555554444", "378282246310005", "4000056655665556"}
DECLINES = {
    "4000000000000002": ("card_declined", "Your card was declined."),
    "4000000000009995": ("insufficient_funds", "Your card has insufficient funds."),
    "4000000000000069": ("expired_card", "Your card has expired."),
    "4000000000000127": ("incorrect_cvc", "Your card's security code is incorrect."),
}
REQUIRES_AUTHENTICATION = {"4000002500003155"}


def card_brand(number: str) -> str:
    if number.startswith(("34", "37")):
        return "amex"
    if number.startswith("4"):
        return "visa"
    if number[:2] in {"51", "52", "53", "54", "55"} or "2221" <= number[:4] <= "2720":
        return "mastercard"
    return "card"


def luhn_valid(number: str) -> bool:
    total = 0
    for index, digit in enumerate(reversed(number)):
        value = int(digit)
        if index % 2 == 1:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def card_problem(number: str, exp_month: int, exp_year: int, cvc: str) -> tuple[str, str] | None:
    """(code, message) for a card that can't be charged before asking the "bank"."""
    if not number.isdigit() or not 13 <= len(number) <= 19 or not luhn_valid(number):
        return "incorrect_number", "Your card number is incorrect."
    if not 1 <= exp_month <= 12:
        return "invalid_expiry_month", "Your card's expiration month is invalid."
    today = timezone.now().date()
    if exp_year < 100:
        exp_year += 2000
    if (exp_year, exp_month) < (today.year, today.month) or exp_year > today.year + 20:
        return "invalid_expiry_year", "Your card's expiration year is invalid."
    expected_cvc = 4 if card_brand(number) == "amex" else 3
    if not (cvc.isdigit() and len(cvc) == expected_cvc):
        return "invalid_cvc", "Your card's security code is invalid."
    return None


class OfflineGateway:
    name = "offline"

    def authorize(self, *, amount: Decimal, currency: str, idempotency_key: str,
                  capture: bool, payment_data: dict, metadata: dict) -> GatewayResult:
        number = "".join(str(payment_data.get("number", "")).split())
        try:
            exp_month = int(payment_data.get("exp_month", 0))
            exp_year = int(payment_data.get("exp_year", 0))
        except (TypeError, ValueError):
            exp_month, exp_year = 0, 0
        cvc = str(payment_data.get("cvc", "")).strip()
        brand, last4 = card_brand(number), number[-4:]
        reference = f"off_{uuid.uuid5(uuid.NAMESPACE_URL, idempotency_key).hex[:24]}"
        problem = card_problem(number, exp_month, exp_year, cvc)
        if problem is None and number in DECLINES:
            problem = DECLINES[number]
        if problem is None and number not in SUCCEEDS | REQUIRES_AUTHENTICATION:
            problem = ("card_declined", "Your card was declined. This shop is in test mode: use "
                       "a test card such as 4242 4242 4242 4242.")
        if problem:
            return GatewayResult(success=False, state="failed", reference=reference,
                                 error=problem[1], error_code=problem[0], card_brand=brand,
                                 card_last4=last4 if number.isdigit() else "")
        if number in REQUIRES_AUTHENTICATION:
            return GatewayResult(success=True, state="requires_action", reference=reference,
                                 card_brand=brand, card_last4=last4)
        return GatewayResult(success=True, state="captured" if capture else "authorized",
                             reference=reference, card_brand=brand, card_last4=last4,
                             risk_level="normal")

    def confirm(self, *, reference: str, idempotency_key: str, payment_data: dict) -> GatewayResult:
        if payment_data.get("authenticated"):
            state = "captured" if payment_data.get("capture", True) else "authorized"
            return GatewayResult(success=True, state=state, reference=reference)
        return GatewayResult(success=False, state="failed", reference=reference,
                             error_code="authentication_failed",
                             error="We were unable to authenticate your payment method. "
                                   "Choose a different payment method and try again.")

    def capture(self, *, reference: str, amount: Decimal, currency: str,
                idempotency_key: str) -> GatewayResult:
        return GatewayResult(success=True, state="captured", reference=reference)

    def void(self, *, reference: str, idempotency_key: str) -> GatewayResult:
        return GatewayResult(success=True, state="canceled", reference=reference)

    def refund(self, *, reference: str, amount: Decimal, currency: str,
               idempotency_key: str) -> GatewayResult:
        refund_reference = f"re_{uuid.uuid5(uuid.NAMESPACE_URL, idempotency_key).hex[:24]}"
        return GatewayResult(success=True, state="refunded", reference=refund_reference)
