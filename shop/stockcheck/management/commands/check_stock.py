"""Check every stock invariant; list each violation with its cause; ``--repair`` fixes
what can be fixed safely, each repair explained in the ledger, the order's timeline and
the stock repair log."""

from django.core.management.base import BaseCommand, CommandError

from shop.stockcheck import services
from shop.stockcheck.selectors import check_stock


class Command(BaseCommand):
    help = ("Check the stock invariants (ledger = on hand, allocated = allocations, no "
            "negative available, paid lines allocated, no stock held for closed orders or "
            "shipped units). Exits 1 when anything is wrong, 0 when clean.")

    def add_arguments(self, parser):
        parser.add_argument("--repair", action="store_true",
                            help="Apply the repair of each violation, then check again.")

    def handle(self, *args, repair: bool = False, **options):
        report = check_stock()
        self._print(report)
        if repair and not report.is_clean:
            self.stdout.write("Repairing:")
            for _, outcome in services.repair_all(report=report):
                style = self.style.SUCCESS if outcome.repaired else self.style.WARNING
                self.stdout.write(style(f"  {'repaired' if outcome.repaired else 'not repaired'}"
                                        f": {outcome.message}"))
            report = check_stock()
            self.stdout.write("After the repairs:")
            self._print(report)
        if not report.is_clean:
            raise CommandError(f"{len(report.violations)} stock problem"
                               f"{'s' if len(report.violations) != 1 else ''} found.",
                               returncode=1)

    def _print(self, report) -> None:
        for violation in report.violations:
            self.stdout.write(f"{violation.problem_label}: {violation.cause}")
        for line in report.waiting:
            self.stdout.write(f"Waiting on a stock shortfall: {line}")
        if report.is_clean:
            self.stdout.write(self.style.SUCCESS(
                f"Stock OK: {report.levels_checked} stock levels checked, every invariant "
                "holds."))
