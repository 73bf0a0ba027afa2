"""The Merchant role reads the dashboards (the roles are made by ``fulfillment.roles``;
this app adds its own permission). ``dashboard/0002_merchant_views_dashboard`` applies it;
``sync_dashboard_roles`` can run again."""

from __future__ import annotations

DASHBOARD_PERMISSIONS: dict[str, list[str]] = {"Merchant": ["dashboard.view_dashboard"]}


def sync_dashboard_roles(group_model, permission_model) -> None:
    for name, codenames in DASHBOARD_PERMISSIONS.items():
        group, _ = group_model.objects.get_or_create(name=name)
        for dotted in codenames:
            app_label, codename = dotted.split(".")
            group.permissions.add(permission_model.objects.get(
                content_type__app_label=app_label, codename=codename))
