"""Who moderates reviews: the Merchant role (the roles themselves are made by
``fulfillment.roles``; reviews sits above it, so it adds its own permissions).

``reviews/0002_review_roles`` applies these; ``sync_review_roles`` can run again.
"""

from __future__ import annotations

from fulfillment.roles import add_role_permissions

REVIEW_PERMISSIONS: dict[str, list[str]] = {
    "Merchant": ["reviews.view_review", "reviews.moderate_review"],
}


def sync_review_roles(group_model, permission_model) -> None:
    add_role_permissions(group_model, permission_model, REVIEW_PERMISSIONS)
