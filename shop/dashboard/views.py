"""The dashboard pages and their CSV downloads. Thin: check the role, parse the range,
call one selector, render."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from functools import wraps

from django.conf import settings
from django.contrib import admin
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET

from kernel.money import Money
from kernel.spreadsheets import csv_writer

from .definitions import COUNTED, DEFINITIONS
from .periods import PRESETS, InvalidRange, parse_period, preset_period, shop_zone
from .selectors import PANELS, chart_table

NAV = [("sales", "Sales"), ("funnel", "Funnel"), ("customers", "Customers"),
       ("fulfillment", "Fulfillment"), ("returns", "Returns"), ("stock", "Stock"),
       ("marketing", "Marketing")]
PERMISSION = "dashboard.view_dashboard"


def merchant_required(view):
    """Staff with the dashboard permission (the Merchant role). Others who are not staff
    go to the admin login; staff without it get a 403."""
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs):
        user = request.user
        if not (user.is_active and user.is_staff):
            return redirect_to_login(request.get_full_path(), reverse("admin:login"))
        if not user.has_perm(PERMISSION):
            raise PermissionDenied("The dashboards are for the Merchant role.")
        return view(request, *args, **kwargs)
    return wrapper


def _panel_or_404(key: str):
    try:
        return PANELS[key]
    except KeyError:
        raise Http404("No such dashboard.") from None


@require_GET
@merchant_required
def panel(request: HttpRequest, key: str = "sales") -> HttpResponse:
    build = _panel_or_404(key)
    context = {**admin.site.each_context(request), "nav": NAV, "key": key,
               "title": f"{dict(NAV)[key]} dashboard", "presets": PRESETS,
               "time_zone": settings.SHOP_TIME_ZONE, "currency": settings.SHOP_CURRENCY,
               "counted": COUNTED}
    try:
        period = parse_period(request.GET)
    except InvalidRange as error:
        period = preset_period("30d")
        context.update(error=error.message, period=period, params=request.GET)
        return render(request, "dashboard/panel.html", context, status=error.status_code)
    result = build(period)
    for table in result.tables:
        table.arrange(request.GET)
    keys = [kpi.key for kpi in result.kpis] + [t.definition_key for t in result.tables
                                               if t.definition_key]
    context.update(period=period, panel=result, params=request.GET,
                   footnotes=[(k, DEFINITIONS[k]) for k in dict.fromkeys(keys)])
    return render(request, "dashboard/panel.html", context)


def csv_value(value) -> str:
    if value is None:
        return ""
    if isinstance(value, Money):
        return str(value.amount)
    if isinstance(value, dt.timedelta):
        return str((Decimal(value.total_seconds()) / 3600).quantize(Decimal("0.01")))
    if isinstance(value, dt.datetime):  # as the page shows it: the shop's zone, with offset
        return value.astimezone(shop_zone()).isoformat(timespec="seconds")
    return str(value)


@require_GET
@merchant_required
def export(request: HttpRequest, key: str, table: str) -> HttpResponse:
    """One table (or a chart's figures) as CSV, for the range asked."""
    build = _panel_or_404(key)
    try:
        period = parse_period(request.GET)
    except InvalidRange as error:
        return HttpResponse(error.message, status=error.status_code, content_type="text/plain")
    result = build(period)
    found = next((t for t in result.tables if t.key == table), None) or next(
        (chart_table(c) for c in result.charts if c.key == table), None)
    if found is None:
        raise Http404("No such table.")
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="{key}-{table}-{period.start:%Y%m%d}-{period.end:%Y%m%d}.csv"')
    writer = csv_writer(response)  # cells that would run as formulas are quoted
    money = any(isinstance(v, Money) for row in found.rows for v in row)
    header = list(found.columns)
    if money:
        header = [f"{c} ({result.currency})" if any(isinstance(row[i], Money)
                                                     for row in found.rows) else c
                  for i, c in enumerate(header)]
    writer.writerow(header)
    for row in found.rows:
        writer.writerow([csv_value(value) for value in row])
    return response
