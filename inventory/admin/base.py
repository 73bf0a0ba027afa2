"""What the inventory operation screens share: permission checks, rendering with the
admin's context, and turning a domain error into a message on the page (a 400, never a
500)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse


def posted(request):
    """The submitted data, or None for a GET (so a POST with no fields still shows errors)."""
    return request.POST if request.method == "POST" else None


def require(request, permission: str) -> None:
    if not request.user.has_perm(permission):
        raise PermissionDenied


class OperationScreens:
    """Mixin for a ModelAdmin whose workflow steps are custom pages calling services."""

    def render_screen(self, request, template: str, *, title: str, original=None,
                      status: int = 200, **context) -> TemplateResponse:
        return TemplateResponse(request, template, {
            **self.admin_site.each_context(request),
            "opts": self.opts, "title": title, "original": original,
            "has_view_permission": self.has_view_permission(request, original),
            **context,
        }, status=status)

    def get_readonly_fields(self, request, obj=None):
        # Records of a workflow: shown, never edited in a form (services write them).
        return [field.name for field in self.opts.fields] + list(self.readonly_extra)

    readonly_extra: tuple = ()

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
