"""The Merchant role reads the dashboards (the roles are made by ``fulfillment.roles``;
this app adds its own permission). ``dashboard/0002_merchant_views_dashboard`` applies it;
``sync_dashboard_roles`` can run again."""

from __future__ import annotations

from fulfillment.roles import add_role_permissions

DASHBOARD_PERMISSIONS: dict[str, list[str]] = {"Merchant": ["dashboard.view_dashboard"]}


def sync_dashboard_roles(group_model, permission_model) -> None:
    add_role_permissions(group_model, permission_model, DASHBOARD_PERMISSIONS)
