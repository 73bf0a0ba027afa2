"""Transfers between warehouses: drafted here, dispatched (units leave the source) and
received (units arrive) by staff with those permissions."""

from __future__ import annotations

from django.contrib import admin, messages
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path, reverse

from kernel.admin import SERVICE_FORM_TEMPLATE
from kernel.errors import ShopError
from kernel.forms import posted

from .. import services
from ..forms import TransferForm
from ..models import StockTransfer, StockTransferLine
from .base import OperationScreens, require


class StockTransferLineInline(admin.TabularInline):
    model = StockTransferLine
    extra = 0
    fields = ("variant", "quantity")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(StockTransfer)
class StockTransferAdmin(OperationScreens, admin.ModelAdmin):
    list_display = ("number", "source", "destination", "status", "created_at",
                    "dispatched_at", "received_at")
    list_select_related = ("source", "destination")
    list_filter = ("status", "source", "destination")
    search_fields = ("lines__variant__sku", "note")
    inlines = [StockTransferLineInline]
    readonly_extra = ("number",)
    STEPS = {
        "dispatch": (services.dispatch_transfer, "inventory.dispatch_stocktransfer",
                     "is on its way"),
        "receive": (services.receive_transfer, "inventory.receive_stocktransfer",
                    "was received"),
        "cancel": (services.cancel_transfer, "inventory.add_stocktransfer", "was canceled"),
    }

    def has_add_permission(self, request):
        return request.user.has_perm("inventory.add_stocktransfer")

    def get_urls(self):
        return [
            path("<int:pk>/<str:step>/", self.admin_site.admin_view(self.step_view),
                 name="inventory_stocktransfer_step"),
            *super().get_urls(),
        ]

    def add_view(self, request, form_url="", extra_context=None):
        require(request, "inventory.add_stocktransfer")
        form = TransferForm(posted(request))
        if form.is_bound and form.is_valid():
            data = form.cleaned_data
            try:
                transfer = services.create_transfer(
                    source_id=data["source"].pk, destination_id=data["destination"].pk,
                    lines=[(variant.pk, quantity) for variant, quantity, _ in data["lines"]],
                    note=data["note"], user=request.user)
            except ShopError as error:
                form.add_error(None, error.message)
            else:
                self.message_user(request, f"{transfer} drafted.", messages.SUCCESS)
                return HttpResponseRedirect(reverse("admin:inventory_stocktransfer_change",
                                                    args=[transfer.pk]))
        return self.render_screen(request, SERVICE_FORM_TEMPLATE, title="New transfer",
                                  form=form, submit_label="Save draft",
                                  status=400 if form.is_bound else 200)

    def step_view(self, request, pk: int, step: str):
        if step not in self.STEPS:
            return HttpResponse("No such step.", status=404)
        function, permission, done = self.STEPS[step]
        require(request, permission)
        if request.method != "POST":
            return HttpResponse("Use the button on the transfer.", status=405)
        transfer = get_object_or_404(StockTransfer, pk=pk)
        try:
            kwargs = {"transfer_id": transfer.pk}
            if step != "cancel":
                kwargs["user"] = request.user
            function(**kwargs)
        except ShopError as error:
            self.message_user(request, error.message, messages.ERROR)
        else:
            self.message_user(request, f"{transfer} {done}.", messages.SUCCESS)
        return HttpResponseRedirect(reverse("admin:inventory_stocktransfer_change",
                                            args=[transfer.pk]))
