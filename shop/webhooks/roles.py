"""The Merchant registers webhook endpoints and redelivers events (the roles are made by
``fulfillment.roles``; this app adds its own permissions). ``webhooks/0002_merchant_manages
_webhooks`` applies them; ``sync_webhook_roles`` can run again."""

from __future__ import annotations

from fulfillment.roles import add_role_permissions

WEBHOOK_PERMISSIONS: dict[str, list[str]] = {
    "Merchant": ["webhooks.view_webhookendpoint", "webhooks.add_webhookendpoint",
                 "webhooks.change_webhookendpoint", "webhooks.view_webhookdelivery",
                 # "change" is the redeliver action: the delivery itself is read-only.
                 "webhooks.change_webhookdelivery"],
}


def sync_webhook_roles(group_model, permission_model) -> None:
    add_role_permissions(group_model, permission_model, WEBHOOK_PERMISSIONS)
