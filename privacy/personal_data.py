"""The account itself (Django's user: name, email, sign-in times) as a section of a person's
data. Registered in ``PrivacyConfig.ready`` with the highest order: the account is erased
last, after every section that finds the person through it."""

from __future__ import annotations

import uuid

from kernel.personal_data import Subject, register_personal_data

CLOSED_DOMAIN = "closed.invalid"


def export_account(subject: Subject) -> dict | None:
    """No query: the subject carries the user."""
    user = subject.user
    if user is None:
        return None
    return {"username": user.username, "email": user.email, "first_name": user.first_name,
            "last_name": user.last_name, "date_joined": user.date_joined,
            "last_login": user.last_login, "active": user.is_active}


def erase_account(subject: Subject) -> None:
    """The account is kept as an empty shell (orders' history of staff actions and the
    data request log point at it) but names nothing: a unique placeholder that can never
    receive mail as username and email, names cleared, no usable password, inactive,
    no groups or permissions. Changing the password hash ends every session it had
    (Django checks the hash on each request)."""
    user = subject.user
    if user is None:
        return
    placeholder = f"closed-{uuid.uuid4().hex}@{CLOSED_DOMAIN}"
    user.username = placeholder
    user.email = placeholder
    user.first_name = ""
    user.last_name = ""
    user.is_active = False
    user.is_staff = False
    user.set_unusable_password()
    user.save(update_fields=["username", "email", "first_name", "last_name", "is_active",
                             "is_staff", "password"])
    user.groups.clear()
    user.user_permissions.clear()


def register() -> None:
    register_personal_data("account", export=export_account, erase=erase_account, order=1000)
