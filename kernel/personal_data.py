"""One registry of where the shop keeps personal data, so a data request covers every app.

Each app that stores something about a person registers one section in its
``AppConfig.ready``::

    register_personal_data(
        "reviews",
        export=lambda subject: [...],      # JSON-serialisable, the person's own data
        erase=lambda subject: None,        # erase or anonymise; keep what the law requires
    )

``subject`` is a :class:`Subject`: the account (or ``None`` for a guest) and the email
addresses the person is known by. ``privacy`` walks the registry to build the download and
to close an account; it never needs to import the apps, and an app added later is covered by
registering, not by editing ``privacy``.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Subject:
    """Whose data a request is about: an account, a guest's email, or both."""

    user: Any = None  # the auth user, or None for a guest
    emails: tuple[str, ...] = field(default_factory=tuple)

    @property
    def email_set(self) -> set[str]:
        return {email.strip().lower() for email in self.emails if email}


@dataclass(frozen=True)
class Section:
    name: str
    export: Callable[[Subject], Any]
    erase: Callable[[Subject], None] | None
    order: int


_SECTIONS: dict[str, Section] = {}


def register_personal_data(name: str, *, export: Callable[[Subject], Any],
                           erase: Callable[[Subject], None] | None = None,
                           order: int = 100) -> None:
    """Register (or re-register, idempotently) one section of a person's data.

    ``order`` decides the order of the sections in the download and of the erasures: the
    account is erased last, after the sections that look the person up through it.
    """
    _SECTIONS[name] = Section(name=name, export=export, erase=erase, order=order)


def sections() -> list[Section]:
    return sorted(_SECTIONS.values(), key=lambda section: (section.order, section.name))
