"""Admin pieces every app's back office repeats: read-only records and inlines, the screen
that shows a service's form, and domain errors shown as messages instead of 500s."""

from __future__ import annotations

from django.contrib import admin, messages
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse

from .errors import ShopError

# One template for every admin screen that shows a small form and calls a service.
SERVICE_FORM_TEMPLATE = "admin/catalog/service_form.html"


class ReadOnlyInline(admin.TabularInline):
    """A part of a record shown on its page: never added, changed or deleted here. Anyone
    who may view the record (``view_permission``) sees it."""

    extra = 0
    can_delete = False
    view_permission = ""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm(self.view_permission)


class ReadOnlyAdminMixin:
    """A record kept by services: staff look, never add, edit or delete it in admin."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class DomainErrorsAdminMixin:
    """Turn a domain error raised while saving into an admin error message.

    Forms catch the common mistakes first, with the message next to the field; this is
    the backstop for rules only the service can check under its lock. ``changeform_view``
    saves inside ``transaction.atomic()``, so the error rolls back everything the request
    wrote before the redirect.
    """

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except ShopError as error:
            self.message_user(request, error.message, messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())


class ServiceScreensMixin:
    """For a ModelAdmin whose workflow steps are its own pages: a small form that calls a
    service (pack, receive, inspect...). Renders them inside the admin's frame, with the
    record they act on as ``original``."""

    def render_screen(self, request, template: str = SERVICE_FORM_TEMPLATE, *, title: str,
                      original=None, status: int = 200, **context) -> TemplateResponse:
        return TemplateResponse(request, template, {
            **self.admin_site.each_context(request),
            "opts": self.opts, "title": title, "original": original,
            "has_view_permission": self.has_view_permission(request, original),
            "media": self.media,
            **context,
        }, status=status)


# --- The kernel's own table ------------------------------------------------------------------

from .models import DeferredTask  # noqa: E402  (after the mixins other apps import)


@admin.register(DeferredTask)
class DeferredTaskAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Tasks waiting for the broker to come back; the resend sweep empties this list."""

    list_display = ("task_name", "created_at", "attempts", "last_error")
    list_filter = ("task_name",)
    fields = ("task_name", "args", "kwargs", "created_at", "attempts", "last_error")
    readonly_fields = fields
