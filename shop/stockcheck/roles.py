"""The Merchant role runs the stock check (the roles are made by ``fulfillment.roles``;
this app adds its own permissions). ``stockcheck/0002_merchant_checks_stock`` applies them;
``sync_stockcheck_roles`` can run again."""

from __future__ import annotations

STOCKCHECK_PERMISSIONS: dict[str, list[str]] = {
    "Merchant": ["stockcheck.view_stockcheck", "stockcheck.repair_stockcheck",
                 "stockcheck.view_stockrepair", "stockcheck.view_stockcheckrun"],
}


def sync_stockcheck_roles(group_model, permission_model) -> None:
    for name, codenames in STOCKCHECK_PERMISSIONS.items():
        group, _ = group_model.objects.get_or_create(name=name)
        for dotted in codenames:
            app_label, codename = dotted.split(".")
            group.permissions.add(permission_model.objects.get(
                content_type__app_label=app_label, codename=codename))
