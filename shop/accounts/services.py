"""Creating customer accounts (the shop's own layer: Django's user model, no domain app)."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db import transaction


def register_customer(*, email: str, password: str, first_name: str, last_name: str):
    """Create a customer whose username is their email, lower case."""
    with transaction.atomic():
        return get_user_model().objects.create_user(
            username=email.lower(), email=email.lower(), password=password,
            first_name=first_name, last_name=last_name)
