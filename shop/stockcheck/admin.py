"""The stock consistency screen in Django admin (Stock consistency > Stock consistency
check) and the log of repairs. Thin: the check is ``selectors.check_stock``, each button calls
``services.repair``; the screen is ``shop.web.consistency.ConsistencyCheckAdmin``."""

from __future__ import annotations

from django.contrib import admin

from kernel.admin import ReadOnlyAdminMixin
from shop.web.consistency import ConsistencyCheckAdmin

from . import selectors, services
from .models import Problem, StockCheck, StockRepair


@admin.register(StockCheck)
class StockCheckAdmin(ConsistencyCheckAdmin):
    """No table behind it: the changelist is the check's report."""

    title = "Stock consistency"
    template = "admin/stockcheck/consistency.html"
    repair_permission = "stockcheck.repair_stockcheck"
    problem_type = Problem
    run_check = staticmethod(selectors.check_stock)
    recent_repairs = staticmethod(selectors.recent_repairs)
    repair = staticmethod(services.repair)
    repair_all = staticmethod(services.repair_all)


@admin.register(StockRepair)
class StockRepairAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["created_at", "problem", "subject", "message", "user"]
    list_filter = ["problem"]
    search_fields = ["subject", "message"]
    list_select_related = ["user"]
    readonly_fields = ["problem", "subject", "message", "changes", "stock_level", "order",
                       "movement", "user", "created_at"]
