"""The roll-ups' lock: one refresh or rebuild at a time (PostgreSQL), held to the end of the
transaction."""

from __future__ import annotations

from django.db import connection

ADVISORY_LOCK = 640_006


def lock() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [ADVISORY_LOCK])
