"""The money consistency screen in Django admin (Money consistency > Money consistency
check) and the log of repairs. Thin: the check is ``selectors.check_orders``, each button
calls ``services.repair``."""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseNotAllowed, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse

from . import selectors, services
from .models import MoneyCheck, MoneyRepair, Problem

REPAIR_PERMISSION = "moneycheck.repair_moneycheck"


@admin.register(MoneyCheck)
class MoneyCheckAdmin(admin.ModelAdmin):
    """No table behind it: the changelist is the check's report."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def get_urls(self):
        return [
            path("", self.admin_site.admin_view(self.changelist_view),
                 name="moneycheck_moneycheck_changelist"),
            path("repair/", self.admin_site.admin_view(self.repair_view),
                 name="moneycheck_moneycheck_repair"),
        ]

    def changelist_view(self, request, extra_context=None):
        if not self.has_view_permission(request):
            raise PermissionDenied
        report = selectors.check_orders()
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": "Money consistency",
            "report": report,
            "groups": report.by_problem(),
            "repairs": selectors.recent_repairs(),
            "can_repair": request.user.has_perm(REPAIR_PERMISSION),
            **(extra_context or {}),
        }
        return TemplateResponse(request, "admin/moneycheck/consistency.html", context)

    def repair_view(self, request):
        if not request.user.has_perm(REPAIR_PERMISSION):
            raise PermissionDenied
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        back = HttpResponseRedirect(reverse("admin:moneycheck_moneycheck_changelist"))
        if request.POST.get("all"):
            outcomes = [outcome for _, outcome in services.repair_all(user=request.user)]
            if not outcomes:
                messages.info(request, "Nothing to repair: every invariant holds.")
        else:
            try:
                problem = Problem(request.POST.get("problem", ""))
                key = int(request.POST.get("key", ""))
            except ValueError:
                messages.error(request, "Choose a violation to repair.")
                return back
            outcomes = [services.repair(problem=problem, key=key, user=request.user)]
        for outcome in outcomes:
            level = messages.SUCCESS if outcome.repaired else messages.WARNING
            messages.add_message(request, level, outcome.message)
        return back


@admin.register(MoneyRepair)
class MoneyRepairAdmin(admin.ModelAdmin):
    list_display = ["created_at", "problem", "subject", "message", "user"]
    list_filter = ["problem"]
    search_fields = ["subject", "message"]
    list_select_related = ["user"]
    readonly_fields = ["problem", "subject", "message", "order", "user", "created_at"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
