"""Who handles data requests: the Merchant role views the log, records requests that came
by email and carries them out (``privacy/0002_roles``)."""

from __future__ import annotations

from fulfillment.roles import add_role_permissions

PRIVACY_PERMISSIONS: dict[str, list[str]] = {
    "Merchant": ["privacy.view_datarequest", "privacy.add_datarequest",
                 "privacy.carry_out_datarequest"],
}


def sync_privacy_roles(group_model, permission_model) -> None:
    add_role_permissions(group_model, permission_model, PRIVACY_PERMISSIONS)
