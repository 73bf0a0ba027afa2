"""``manage.py rebuild_kpis [--from YYYY-MM-DD]``: the nightly rebuild of the dashboards'
roll-ups, on demand (after an import, or a fix to old orders)."""

from __future__ import annotations

import datetime as dt

from django.core.management.base import BaseCommand, CommandError

from shop.dashboard import rollups


class Command(BaseCommand):
    help = ("Recompute the KPI dashboards' facts and roll-ups from orders, payments, "
            "shipments and returns (what the nightly task does). With --from, the day "
            "roll-ups from that local day on only.")

    def add_arguments(self, parser) -> None:
        parser.add_argument("--from", dest="first", metavar="DATE",
                            help="First local day (YYYY-MM-DD, in SHOP_TIME_ZONE) to rebuild.")

    def handle(self, *args, first: str | None = None, **options) -> None:
        day = None
        if first:
            try:
                day = dt.date.fromisoformat(first)
            except ValueError:
                raise CommandError(f"--from must be a date as YYYY-MM-DD, not {first!r}.") \
                    from None
        run = rollups.rebuild_rollups(first=day)
        self.stdout.write(f"Rebuilt the KPI roll-ups{f' from {day}' if day else ''}: "
                          f"{run.rows_checked} rows checked, {run.rows_differing} differed "
                          "from the increments (now fixed).")
