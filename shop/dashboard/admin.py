"""A "KPI dashboards" entry in the admin index, for those who may see them."""

from django.contrib import admin
from django.shortcuts import redirect
from django.urls import path

from .models import Dashboard


@admin.register(Dashboard)
class DashboardAdmin(admin.ModelAdmin):
    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def get_urls(self):
        # Only the index entry: the model has no table, so no change, history or delete pages.
        opts = self.opts
        return [path("", self.admin_site.admin_view(self.changelist_view),
                     name=f"{opts.app_label}_{opts.model_name}_changelist")]

    def changelist_view(self, request, extra_context=None):
        if not self.has_view_permission(request):
            return super().changelist_view(request, extra_context)  # the admin's own 403
        return redirect("dashboard:index")
