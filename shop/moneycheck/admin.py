"""The money consistency screen in Django admin (Money consistency > Money consistency
check) and the log of repairs. Thin: the check is ``selectors.check_orders``, each button calls
``services.repair``; the screen is ``shop.web.consistency.ConsistencyCheckAdmin``."""

from __future__ import annotations

from django.contrib import admin

from kernel.admin import ReadOnlyAdminMixin
from shop.web.consistency import ConsistencyCheckAdmin

from . import selectors, services
from .models import MoneyCheck, MoneyRepair, Problem


@admin.register(MoneyCheck)
class MoneyCheckAdmin(ConsistencyCheckAdmin):
    """No table behind it: the changelist is the check's report."""

    title = "Money consistency"
    template = "admin/moneycheck/consistency.html"
    repair_permission = "moneycheck.repair_moneycheck"
    problem_type = Problem
    run_check = staticmethod(selectors.check_orders)
    recent_repairs = staticmethod(selectors.recent_repairs)
    repair = staticmethod(services.repair)
    repair_all = staticmethod(services.repair_all)


@admin.register(MoneyRepair)
class MoneyRepairAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["created_at", "problem", "subject", "message", "user"]
    list_filter = ["problem"]
    search_fields = ["subject", "message"]
    list_select_related = ["user"]
    readonly_fields = ["problem", "subject", "message", "order", "user", "created_at"]
