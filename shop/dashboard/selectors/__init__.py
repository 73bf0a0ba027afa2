"""The dashboards' reads: one function per panel, each a fixed number of SQL queries
whatever the data size or range (the tests assert the counts).

Each panel returns a ``Panel``: headline KPIs with the previous period beside them, the
chart series, and the tables (each also downloadable as CSV).
"""

from .customers import customers_panel
from .fulfillment import fulfillment_panel
from .funnel import funnel_panel
from .marketing import marketing_panel
from .returns import returns_panel
from .sales import sales_panel
from .shapes import Chart, Kpi, Panel, Table, chart_table
from .stock import stock_panel

PANELS = {"sales": sales_panel, "funnel": funnel_panel, "customers": customers_panel,
          "fulfillment": fulfillment_panel, "returns": returns_panel, "stock": stock_panel,
          "marketing": marketing_panel}

__all__ = ["PANELS", "Chart", "Kpi", "Panel", "Table", "chart_table", "customers_panel",
           "fulfillment_panel", "funnel_panel", "marketing_panel", "returns_panel", "sales_panel",
           "stock_panel"]
