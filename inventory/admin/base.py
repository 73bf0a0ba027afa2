"""What the inventory operation screens share: permission checks, rendering with the
admin's context, and turning a domain error into a message on the page (a 400, never a
500)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied

from kernel.admin import ServiceScreensMixin


def require(request, permission: str) -> None:
    if not request.user.has_perm(permission):
        raise PermissionDenied


class OperationScreens(ServiceScreensMixin):
    """Mixin for a ModelAdmin whose workflow steps are custom pages calling services."""

    def get_readonly_fields(self, request, obj=None):
        # Records of a workflow: shown, never edited in a form (services write them).
        return [field.name for field in self.opts.fields] + list(self.readonly_extra)

    readonly_extra: tuple = ()

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
