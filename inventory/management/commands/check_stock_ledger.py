"""Prove the stock ledger: every stock level's on hand equals the sum of its movements."""

from django.core.management.base import BaseCommand, CommandError

from inventory.models import StockLevel
from inventory.selectors import stock_ledger_mismatches


class Command(BaseCommand):
    help = (
        "Check that each stock level's on hand equals the sum of its stock movements. "
        "Exits non-zero and lists every mismatch when one does not."
    )

    def handle(self, *args, **options):
        checked = StockLevel.objects.count()
        mismatches = stock_ledger_mismatches()
        if not mismatches:
            message = f"Stock ledger OK: {checked} stock levels checked"
            self.stdout.write(self.style.SUCCESS(message))
            return
        for mismatch in mismatches:
            self.stderr.write(str(mismatch))
        raise CommandError(
            f"{len(mismatches)} of {checked} stock levels do not match their ledger."
        )
