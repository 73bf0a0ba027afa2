"""Check every money invariant; list each violation with its cause; ``--repair`` applies
each violation's repair (a payments service), each recorded on the order's timeline and in
the money repair log."""

from django.core.management.base import BaseCommand, CommandError

from shop.moneycheck import services
from shop.moneycheck.selectors import check_orders


class Command(BaseCommand):
    help = ("Check the money invariants (payment status = what the payments hold, no "
            "canceled order holding captured money, no shipped goods refunded without a "
            "reason, no payment live past its deadline). Exits 1 when anything is wrong.")

    def add_arguments(self, parser):
        parser.add_argument("--repair", action="store_true",
                            help="Apply the repair of each violation, then check again.")

    def handle(self, *args, repair: bool = False, **options):
        report = check_orders()
        self._print(report)
        if repair and not report.is_clean:
            self.stdout.write("Repairing:")
            for _, outcome in services.repair_all(report=report):
                style = self.style.SUCCESS if outcome.repaired else self.style.WARNING
                self.stdout.write(style(f"  {'repaired' if outcome.repaired else 'not repaired'}"
                                        f": {outcome.message}"))
            report = check_orders()
            self.stdout.write("After the repairs:")
            self._print(report)
        if not report.is_clean:
            raise CommandError(f"{len(report.violations)} money problem"
                               f"{'s' if len(report.violations) != 1 else ''} found.",
                               returncode=1)

    def _print(self, report) -> None:
        for violation in report.violations:
            self.stdout.write(f"{violation.problem_label}: {violation.cause}")
        if report.is_clean:
            self.stdout.write(self.style.SUCCESS(
                f"Money OK: {report.orders_checked} orders checked, every invariant holds."))
