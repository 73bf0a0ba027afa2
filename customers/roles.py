"""What the staff roles may do with customers (the roles are made by ``fulfillment.roles``;
customers sits above, so it adds its own permissions, as returns does).

- Merchant: the segments (read, refresh, export), voucher campaigns to a segment (only the
  Merchant: they give money away), the contact messages, notes and timelines.
- Returns clerk (customer service at the counter): contact messages, notes, timelines.

``customers/0002_roles`` applies these; ``sync_customer_roles`` can run again.
"""

from __future__ import annotations

from fulfillment.roles import add_role_permissions

SERVICE = ["customers.view_contactmessage", "customers.change_contactmessage",
           "customers.view_customernote", "customers.add_customernote"]

CUSTOMER_PERMISSIONS: dict[str, list[str]] = {
    "Merchant": [*SERVICE, "customers.view_customersegment",
                 "customers.refresh_customersegment", "customers.view_vouchercampaign",
                 "customers.send_vouchercampaign"],
    "Returns clerk": SERVICE,
}
# Who may open a customer's timeline (and add a note to it).
TIMELINE_PERMISSION = "customers.view_customernote"
NOTE_PERMISSION = "customers.add_customernote"
CAMPAIGN_PERMISSION = "customers.send_vouchercampaign"


def sync_customer_roles(group_model, permission_model) -> None:
    add_role_permissions(group_model, permission_model, CUSTOMER_PERMISSIONS)
