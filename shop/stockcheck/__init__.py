"""The stock consistency check: proves the stock invariants across inventory and orders,
lists each violation with its cause, and repairs it with an explained entry.

It lives above every app it reads (stock levels and the ledger in inventory; allocations,
paid lines, units shipped and stock shortfalls in orders), in ``shop``, the wiring layer,
as a small app of its own. Orders could hold today's reads, but the repairs write both
apps' rows and keep their own audit table, and checks of fulfillment's shipments can join
here without breaking the layers.
"""
