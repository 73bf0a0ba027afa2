"""Check every stock invariant; list each violation with its cause; ``--repair`` fixes
what can be fixed safely, each repair explained in the ledger, the order's timeline and
the stock repair log."""

from shop.stockcheck import services
from shop.stockcheck.selectors import check_stock
from shop.web.consistency import ConsistencyCheckCommand


class Command(ConsistencyCheckCommand):
    help = ("Check the stock invariants (ledger = on hand, allocated = allocations, no "
            "negative available, paid lines allocated, no stock held for closed orders or "
            "shipped units). Exits 1 when anything is wrong, 0 when clean.")
    what = "stock"
    run_check = staticmethod(check_stock)
    repair_all = staticmethod(services.repair_all)

    def notes(self, report) -> list[str]:
        return [f"Waiting on a stock shortfall: {line}" for line in report.waiting]

    def clean_summary(self, report) -> str:
        return (f"Stock OK: {report.levels_checked} stock levels checked, every invariant "
                "holds.")
