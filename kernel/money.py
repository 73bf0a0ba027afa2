"""Money: a Decimal amount with an explicit currency, quantized in one place. Never float."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

# Minor units per ISO 4217 currency; anything not listed has two decimals.
_EXPONENTS = {"JPY": 0, "KRW": 0, "VND": 0, "CLP": 0, "ISK": 0, "HUF": 2, "BHD": 3, "KWD": 3}
_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "CAD": "CA$", "AUD": "A$"}


def quantize(amount: Decimal, currency: str) -> Decimal:
    """Round to the currency's minor unit, half up (the way tills and tax tables round)."""
    exponent = _EXPONENTS.get(currency.upper(), 2)
    return amount.quantize(Decimal(1).scaleb(-exponent), rounding=ROUND_HALF_UP)


def parse_amount(text: str) -> Decimal:
    """Read an amount a person typed ("12.5", "1,299.00"); raises ValueError when it isn't one."""
    cleaned = str(text).strip().replace(",", "")
    try:
        value = Decimal(cleaned)
    except InvalidOperation as error:
        raise ValueError(f"{text!r} is not an amount") from error
    if not value.is_finite():
        raise ValueError(f"{text!r} is not an amount")
    return value


@dataclass(frozen=True)
class Money:
    amount: Decimal
    currency: str

    def __post_init__(self) -> None:
        if isinstance(self.amount, float):
            raise TypeError("Money never holds a float; pass a Decimal or a string.")
        object.__setattr__(self, "amount", quantize(Decimal(self.amount), self.currency))
        object.__setattr__(self, "currency", self.currency.upper())

    def _check(self, other: Money) -> None:
        if other.currency != self.currency:
            raise ValueError(f"Cannot combine {self.currency} and {other.currency}")

    def __add__(self, other: Money) -> Money:
        self._check(other)
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._check(other)
        return Money(self.amount - other.amount, self.currency)

    def __mul__(self, quantity: int) -> Money:
        if not isinstance(quantity, int):
            raise TypeError("Money multiplies by whole quantities only")
        return Money(self.amount * quantity, self.currency)

    def __lt__(self, other: Money) -> bool:
        self._check(other)
        return self.amount < other.amount

    def __str__(self) -> str:
        # The sign goes before the currency symbol: "-$6.72", not "$-6.72".
        symbol = _SYMBOLS.get(self.currency)
        sign = "-" if self.amount < 0 else ""
        number = f"{abs(self.amount):,}"
        return f"{sign}{symbol}{number}" if symbol else f"{sign}{number} {self.currency}"


# The column every amount is stored in: up to 9,999,999,999.99.
MONEY = {"max_digits": 12, "decimal_places": 2}
