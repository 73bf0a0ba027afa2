"""What the staff roles may do with returns (the roles themselves are made by
``fulfillment.roles``; returns sits above fulfillment, so it adds its own permissions).

``returns/0002_return_roles`` applies these; ``sync_return_roles`` can run again.
"""

from __future__ import annotations

from fulfillment.roles import add_role_permissions

RETURN_PERMISSIONS: dict[str, list[str]] = {
    "Returns clerk": [
        "returns.view_returnrequest", "returns.approve_returnrequest",
        "returns.receive_returnrequest", "returns.inspect_returnrequest",
        "returns.refund_returnrequest", "inventory.view_stockmovement",
        "payments.view_payment",
    ],
    "Merchant": ["returns.view_returnrequest"],
}


def sync_return_roles(group_model, permission_model) -> None:
    add_role_permissions(group_model, permission_model, RETURN_PERMISSIONS)
