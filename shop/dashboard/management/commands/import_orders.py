"""``manage.py import_orders FILE.csv``: historic orders from another platform (the columns
are in docs/IMPORT_ORDERS.md). All or nothing; then the KPI roll-ups are rebuilt from the
first imported day."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from shop.dashboard import rollups
from shop.dashboard.importing import ImportRefused, import_orders


class Command(BaseCommand):
    help = ("Import historic orders (lines, payments, shipments, refunds, with their real "
            "times) from a CSV as documented in docs/IMPORT_ORDERS.md. Checks every row "
            "first: a file with any problem imports nothing.")

    def add_arguments(self, parser) -> None:
        parser.add_argument("path", help="The CSV file (UTF-8, one row per order line).")

    def handle(self, *args, path: str, **options) -> None:
        try:
            with open(path, newline="", encoding="utf-8-sig") as stream:
                result = import_orders(stream=stream)
        except OSError as error:
            raise CommandError(f"Can't read {path}: {error.strerror}.") from None
        except UnicodeDecodeError:
            raise CommandError(f"{path} is not UTF-8 text.") from None
        except ImportRefused as error:
            raise CommandError(error.message) from None
        self.stdout.write(f"Imported {result.orders} orders ({result.lines} lines).")
        if result.first_day:
            run = rollups.rebuild_rollups(first=result.first_day)
            self.stdout.write(f"Rebuilt the KPI roll-ups from {result.first_day} "
                              f"({run.rows_checked} rows).")
