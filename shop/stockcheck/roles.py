"""The Merchant role runs the stock check (the roles are made by ``fulfillment.roles``;
this app adds its own permissions). ``stockcheck/0002_merchant_checks_stock`` applies them;
``sync_stockcheck_roles`` can run again."""

from __future__ import annotations

from fulfillment.roles import add_role_permissions

STOCKCHECK_PERMISSIONS: dict[str, list[str]] = {
    "Merchant": ["stockcheck.view_stockcheck", "stockcheck.repair_stockcheck",
                 "stockcheck.view_stockrepair", "stockcheck.view_stockcheckrun"],
}


def sync_stockcheck_roles(group_model, permission_model) -> None:
    add_role_permissions(group_model, permission_model, STOCKCHECK_PERMISSIONS)
