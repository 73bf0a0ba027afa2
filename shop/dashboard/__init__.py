"""The merchant's KPI dashboards: sales, funnel, customers, fulfillment, returns, stock.

Reads come from daily roll-ups and per-order facts kept by ``rollups`` (refreshed by a
task on every order, shipment and return event, rebuilt and checked nightly), and from
the funnel counters ``tracking`` keeps in the cache and ``funnel`` flushes to a table.
"""
