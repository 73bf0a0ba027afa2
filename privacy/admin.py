"""The data request log in admin: staff record a request that came by email or letter,
then carry it out (download the export; erase after a confirmation page). Every step calls
``privacy.services``; nothing is decided here. Viewing needs ``view_datarequest``,
recording ``add_datarequest``, carrying out ``carry_out_datarequest`` (the Merchant role)."""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.cache import patch_cache_control
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_POST

from kernel.admin import ServiceScreensMixin
from kernel.errors import ShopError
from kernel.forms import posted

from . import services
from .forms import ConfirmErasureForm, StaffDataRequestForm
from .models import DataRequest

CARRY_OUT = "privacy.carry_out_datarequest"


def json_download(export: services.Export) -> HttpResponse:
    """The export as an attachment no cache keeps."""
    response = HttpResponse(export.content, content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = content_disposition_header(True, export.filename)
    patch_cache_control(response, private=True, no_store=True, max_age=0)
    return response


@admin.register(DataRequest)
class DataRequestAdmin(ServiceScreensMixin, admin.ModelAdmin):
    list_display = ["requested_at", "kind", "channel", "status", "email", "completed_at"]
    list_filter = ["kind", "channel", "status"]
    search_fields = ["email"]
    date_hierarchy = "requested_at"
    readonly_fields = ["kind", "channel", "status", "email", "user", "identity_verification",
                       "recorded_by", "sections", "outcome", "requested_at", "completed_at"]
    fields = readonly_fields

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_urls(self):
        own = [
            path("<int:pk>/export/", self.admin_site.admin_view(require_POST(self.export_view)),
                 name="privacy_datarequest_export"),
            path("<int:pk>/erase/", self.admin_site.admin_view(self.erase_view),
                 name="privacy_datarequest_erase"),
        ]
        return own + super().get_urls()

    def add_view(self, request: HttpRequest, form_url: str = "", extra_context=None):
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = StaffDataRequestForm(posted(request))
        if request.method == "POST" and form.is_valid():
            try:
                data_request = services.record_staff_request(
                    email=form.cleaned_data["email"], kind=form.cleaned_data["kind"],
                    identity_verification=form.cleaned_data["identity_verification"],
                    actor=request.user)
            except ShopError as error:
                form.add_error(None, error.message)
            else:
                self.message_user(request, f"Recorded: {data_request}. Carry it out from "
                                           "its page.", messages.SUCCESS)
                return HttpResponseRedirect(reverse("admin:privacy_datarequest_change",
                                                    args=[data_request.pk]))
        return self.render_screen(
            request, title="Record a data request", form=form, submit_label="Record request",
            intro="A request that came by email or letter. Check who is asking before you "
                  "carry it out: the export goes to the person, the erasure can't be undone.",
            status=400 if form.errors else 200)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        data_request = self.get_object(request, object_id)
        tools = {}
        if data_request is not None and request.user.has_perm(CARRY_OUT) \
                and data_request.channel == DataRequest.Channel.STAFF:
            tools = {
                "export": data_request.kind == DataRequest.Kind.EXPORT
                and data_request.status != DataRequest.Status.REFUSED,
                "erase": data_request.kind == DataRequest.Kind.ERASURE
                and data_request.status == DataRequest.Status.RECEIVED,
            }
        return super().change_view(request, object_id, form_url,
                                   {**(extra_context or {}), "request_tools": tools})

    def _check(self, request: HttpRequest) -> None:
        if not request.user.has_perm(CARRY_OUT):
            raise PermissionDenied("Carrying out data requests needs the Merchant role.")

    def export_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        self._check(request)
        try:
            export = services.carry_out_export(request_id=pk, actor=request.user)
        except ShopError as error:
            self.message_user(request, error.message, messages.ERROR)
            return HttpResponseRedirect(reverse("admin:privacy_datarequest_change", args=[pk]))
        return json_download(export)

    def erase_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        self._check(request)
        data_request = get_object_or_404(DataRequest, pk=pk)
        form = ConfirmErasureForm(posted(request))
        if request.method == "POST" and form.is_valid():
            try:
                services.carry_out_erasure(request_id=pk, actor=request.user)
            except ShopError as error:
                self.message_user(request, error.message, messages.ERROR)
            else:
                self.message_user(request, f"Erased the personal data held under "
                                           f"{data_request.email}.", messages.SUCCESS)
            return HttpResponseRedirect(reverse("admin:privacy_datarequest_change", args=[pk]))
        return self.render_screen(
            request, title=f"Erase the data of {data_request.email}", original=data_request,
            form=form, submit_label="Erase for good",
            intro="Closes the account with this address, if there is one, and erases or "
                  "anonymises everything held under it: addresses and carts deleted, orders "
                  "detached and anonymised. Orders, invoices (with their billing name and "
                  "address) and stock records stay, as accounting and tax law require (GDPR "
                  "Art. 17(3)(b) and (e)). Refused while an order is still open.",
            status=400 if form.errors else 200)
