"""Check every money invariant; list each violation with its cause; ``--repair`` applies
each violation's repair (a payments service), each recorded on the order's timeline and in
the money repair log."""

from shop.moneycheck import services
from shop.moneycheck.selectors import check_orders
from shop.web.consistency import ConsistencyCheckCommand


class Command(ConsistencyCheckCommand):
    help = ("Check the money invariants (payment status = what the payments hold, no "
            "canceled order holding captured money, no shipped goods refunded without a "
            "reason, no payment live past its deadline). Exits 1 when anything is wrong.")
    what = "money"
    run_check = staticmethod(check_orders)
    repair_all = staticmethod(services.repair_all)

    def clean_summary(self, report) -> str:
        return f"Money OK: {report.orders_checked} orders checked, every invariant holds."
