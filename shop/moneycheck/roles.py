"""The Merchant runs the money check (``moneycheck/0002_roles``, which also syncs
``fulfillment.roles.ROLES`` after the Merchant gained the money decisions and the Returns
clerk lost the payment admin's refund)."""

from __future__ import annotations

from fulfillment.roles import add_role_permissions

MONEYCHECK_PERMISSIONS: dict[str, list[str]] = {
    "Merchant": ["moneycheck.view_moneycheck", "moneycheck.repair_moneycheck",
                 "moneycheck.view_moneyrepair", "moneycheck.view_moneycheckrun"],
}


def sync_moneycheck_roles(group_model, permission_model) -> None:
    add_role_permissions(group_model, permission_model, MONEYCHECK_PERMISSIONS)
