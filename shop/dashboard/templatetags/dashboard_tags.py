"""Formatting for the dashboards: one place that turns KPI values into text."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django import template
from django.http import QueryDict

from kernel.money import Money

from .. import charts
from ..periods import shop_zone

register = template.Library()
DASH = "—"


def duration_text(value: dt.timedelta) -> str:
    hours = Decimal(value.total_seconds()) / 3600
    if hours >= 48:
        return f"{(hours / 24).quantize(Decimal('0.1'))} days"
    return f"{hours.quantize(Decimal('0.1'))} h"


@register.filter
def kpi_value(value, kind: str = "") -> str:
    if value is None:
        return DASH
    if isinstance(value, Money):
        return str(value)
    if isinstance(value, dt.timedelta):
        return duration_text(value)
    if kind == "percent":
        return f"{value}%"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


@register.filter
def kpi_delta(kpi) -> str:
    delta = kpi.delta
    if delta is None:
        return ""
    if isinstance(delta, Money):
        sign = "+" if delta.amount >= 0 else "−"
        text = f"{sign}{Money(abs(delta.amount), delta.currency)}"
    elif isinstance(delta, dt.timedelta):
        sign = "+" if delta >= dt.timedelta(0) else "−"
        text = f"{sign}{duration_text(abs(delta))}"
    else:
        sign = "+" if delta >= 0 else "−"
        text = f"{sign}{abs(delta)}{' pts' if kpi.kind == 'percent' else ''}"
    if kpi.delta_percent is not None and kpi.kind != "percent":
        text += f" ({'+' if kpi.delta_percent >= 0 else '−'}{abs(kpi.delta_percent)}%)"
    return text


@register.filter
def delta_direction(kpi) -> str:
    delta = kpi.delta
    if delta is None:
        return "flat"
    amount = delta.amount if isinstance(delta, Money) else delta
    zero = dt.timedelta(0) if isinstance(amount, dt.timedelta) else 0
    return "up" if amount > zero else "down" if amount < zero else "flat"


@register.filter
def cell(value) -> str:
    if value is None:
        return DASH
    if isinstance(value, dt.datetime):
        return f"{value.astimezone(shop_zone()):%Y-%m-%d %H:%M}"
    if isinstance(value, Money | dt.timedelta):
        return kpi_value(value)
    return str(value)


@register.inclusion_tag("dashboard/_chart.html")
def chart(chart, period_query: str, panel_key: str):
    return {"chart": chart, "geometry": charts.layout(chart), "period_query": period_query,
            "panel_key": panel_key}


@register.simple_tag
def table_query(params, table, column=None, page=None) -> str:
    """The page's query string with one table's sort (a click on ``column`` sorts by it,
    a second click reverses it) or page changed."""
    query = params.copy() if hasattr(params, "copy") else QueryDict(mutable=True)
    if column is not None:
        same = table.sort_column == column and not table.sort_descending
        query[f"{table.key}_sort"] = f"-{column}" if same else str(column)
        query.pop(f"{table.key}_page", None)
    if page is not None:
        query[f"{table.key}_page"] = str(page)
    return query.urlencode()
