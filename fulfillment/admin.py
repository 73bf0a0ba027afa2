"""Fulfillment in admin: the queue, pick lists, the packing screen, labels, shipping.

Shipments are read-only records; every step is a button, an action or a small screen that
calls a ``fulfillment.services`` function and checks the role's permission: pickers pick,
packers pack, shippers buy labels, ship and record deliveries. A refused move is a message.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html

from kernel.admin import ServiceScreensMixin
from kernel.documents import pdf_download
from kernel.enqueue import enqueue
from kernel.errors import ShopError

from . import pdf, services, tasks
from .models import (
    CourierRate,
    CourierZone,
    LabelPurchase,
    PickList,
    Shipment,
    ShipmentLine,
    TrackingEvent,
)
from .roles import roles_with

State = Shipment.State


def _can(request, codename: str) -> bool:
    return request.user.has_perm(f"fulfillment.{codename}")


def _require(request, *codenames: str) -> None:
    """Refuse unless the user may do one of ``codenames``; the 403 page names the roles
    that can."""
    if any(_can(request, codename) for codename in codenames):
        return
    roles = sorted({role for codename in codenames
                    for role in roles_with(f"fulfillment.{codename}")})
    raise PermissionDenied(f"This page needs the {' or '.join(roles)} role."
                           if roles else "This page needs a role you do not have.")


class ShipmentLineInline(admin.TabularInline):
    model = ShipmentLine
    fields = ("sku", "item", "quantity", "quantity_scanned", "bin_location")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    @admin.display(description="SKU")
    def sku(self, line):
        return line.order_line.sku

    @admin.display(description="Item")
    def item(self, line):
        return line.order_line.description

    @admin.display(description="Bin")
    def bin_location(self, line):
        return line.stock_level.bin_location or "—"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("order_line", "stock_level")


class TrackingEventInline(admin.TabularInline):
    model = TrackingEvent
    fields = ("occurred_at", "status", "description", "location", "event_id")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


class LateFilter(admin.SimpleListFilter):
    title = "promised ship date"
    parameter_name = "late"

    def lookups(self, request, model_admin):
        return [("late", "Late"), ("today", "Due within 24 h")]

    def queryset(self, request, queryset):
        now = timezone.now()
        open_states = list(Shipment.UNSHIPPED)
        if self.value() == "late":
            return queryset.filter(state__in=open_states, promised_ship_by__lt=now)
        if self.value() == "today":
            return queryset.filter(state__in=open_states, promised_ship_by__gte=now,
                                   promised_ship_by__lt=now + timezone.timedelta(hours=24))
        return queryset


@admin.register(Shipment)
class ShipmentAdmin(ServiceScreensMixin, admin.ModelAdmin):
    list_display = ("number", "order_link", "warehouse", "status", "carrier", "tracking_number",
                    "promised", "pick_list")
    list_filter = ("state", "warehouse", "carrier", LateFilter)
    list_select_related = ("order", "warehouse", "pick_list")
    search_fields = ("number", "order__number", "tracking_number", "lines__order_line__sku")
    ordering = ("promised_ship_by", "pk")
    inlines = [ShipmentLineInline, TrackingEventInline]
    actions = ["make_pick_list", "buy_labels", "mark_shipped"]
    change_form_template = "admin/fulfillment/shipment/change_form.html"
    readonly_fields = ("number", "order", "warehouse", "status", "carrier", "service",
                       "tracking_number", "label_link", "label_cost", "weight_grams",
                       "length_cm", "width_cm", "height_cm", "promised_ship_by",
                       "estimated_delivery",
                       "pick_list", "packed_at", "shipped_at", "delivered_at", "delivered_to",
                       "label_status")
    exclude = ("pickup_code", "label")  # the label: label_link, through the view

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False  # every change is a step below

    @admin.display(description="Order", ordering="order__number")
    def order_link(self, shipment):
        return format_html('<a href="{}">{}</a>', reverse("admin:orders_order_change",
                                                          args=[shipment.order_id]),
                           shipment.order.number)

    @admin.display(description="State", ordering="state")
    def status(self, shipment):
        return shipment.status_label

    @admin.display(description="Label")
    def label_link(self, shipment):
        """A link to the label view (which checks the role), never to the file: labels are
        private documents with no public URL."""
        if not shipment.label:
            return "-"
        return format_html('<a href="{}">Download label (PDF)</a>',
                           reverse("admin:fulfillment_shipment_label", args=[shipment.pk]))

    @admin.display(description="Label purchase")
    def label_status(self, shipment):
        """What the carrier said, so a shipper sees why a packed parcel has no label (the
        task retries with backoff; "Buy label (or retry)" tries again now)."""
        purchase = LabelPurchase.objects.filter(shipment=shipment).first()
        if purchase is None:
            return "-"
        if purchase.outcome == LabelPurchase.Outcome.FAILED:
            return format_html('<strong style="color:#b42318">Failed (attempt {}): {}</strong>',
                               purchase.attempts, purchase.error or "no answer")
        return f"{purchase.get_outcome_display()} (attempt {purchase.attempts})"

    @admin.display(description="Ship by", ordering="promised_ship_by")
    def promised(self, shipment):
        when = timezone.localtime(shipment.promised_ship_by).strftime("%b %d %H:%M")
        if shipment.is_late:
            return format_html('<strong style="color:#b42318">LATE · {}</strong>', when)
        return when

    # --- Actions ------------------------------------------------------------------------

    def has_pick_permission(self, request):
        return _can(request, "pick_shipment")

    def has_label_permission(self, request):
        return _can(request, "buy_label")

    def has_ship_permission(self, request):
        return _can(request, "ship_shipment")

    @admin.action(description="Make a pick list of the selected pending shipments",
                  permissions=["pick"])
    def make_pick_list(self, request, queryset):
        by_warehouse: dict[int, list[int]] = {}
        for shipment in queryset.filter(state=State.PENDING):
            by_warehouse.setdefault(shipment.warehouse_id, []).append(shipment.pk)
        if not by_warehouse:
            self.message_user(request, "None of the selected shipments is pending.",
                              messages.ERROR)
            return None
        for warehouse_id, ids in by_warehouse.items():
            pick_list = services.create_pick_list(warehouse_id=warehouse_id, shipment_ids=ids,
                                                  actor=request.user)
            self.message_user(request, format_html(
                'Pick list <a href="{}">{}</a> made with {} shipment(s).',
                reverse("admin:fulfillment_picklist_print", args=[pick_list.pk]), pick_list.pk,
                len(ids)), messages.SUCCESS)
        return None

    @admin.action(description="Buy label (or retry)", permissions=["label"])
    def buy_labels(self, request, queryset):
        count = 0
        for shipment in queryset.filter(state=State.PACKED).exclude(carrier="pickup"):
            enqueue(tasks.purchase_label, shipment.pk)
            count += 1
        self.message_user(request, f"Label purchase queued for {count} packed shipment(s).",
                          messages.SUCCESS if count else messages.WARNING)

    @admin.action(description="Mark shipped", permissions=["ship"])
    def mark_shipped(self, request, queryset):
        done = 0
        for shipment in queryset:
            try:
                services.ship_shipment(shipment_id=shipment.pk, actor=request.user)
                done += 1
            except ShopError as error:
                self.message_user(request, f"{shipment.number}: {error.message}", messages.ERROR)
        if done:
            self.message_user(request, f"Marked {done} shipment(s) shipped.", messages.SUCCESS)

    # --- Screens ------------------------------------------------------------------------

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("<int:pk>/pack/", view(self.pack_view), name="fulfillment_shipment_pack"),
            path("<int:pk>/label.pdf", view(self.label_view), name="fulfillment_shipment_label"),
            path("<int:pk>/packing-slip.pdf", view(self.slip_view),
                 name="fulfillment_shipment_slip"),
            path("<int:pk>/collect/", view(self.collect_view),
                 name="fulfillment_shipment_collect"),
            path("scan-to-ship/", view(self.scan_to_ship_view),
                 name="fulfillment_shipment_scan_to_ship"),
            path("next-pick-list/", view(self.next_pick_list_view),
                 name="fulfillment_shipment_next_pick_list"),
        ] + super().get_urls()

    def pack_view(self, request, pk: int):
        _require(request, "pack_shipment")
        shipment = get_object_or_404(Shipment.objects.select_related("order", "warehouse"),
                                     pk=pk)
        scan_form = ScanForm(request.POST if "scan" in request.POST else None)
        parcel_form = ParcelForm(request.POST if "finish" in request.POST else None)
        if request.method == "POST":
            try:
                if scan_form.is_bound and scan_form.is_valid():
                    result = services.scan_item(shipment_id=pk, code=scan_form.cleaned_data["code"],
                                                actor=request.user)
                    self.message_user(request, result.message, messages.SUCCESS)
                    return HttpResponseRedirect(request.path)
                if parcel_form.is_bound and parcel_form.is_valid():
                    services.complete_packing(shipment_id=pk, actor=request.user,
                                              **parcel_form.cleaned_data)
                    self.message_user(request, f"{shipment.number} packed. The label follows.",
                                      messages.SUCCESS)
                    return HttpResponseRedirect(request.path)
            except ShopError as error:
                self.message_user(request, error.message, messages.ERROR)
                status = 409 if getattr(error, "status_code", 400) == 409 else 400
                shipment.refresh_from_db()
                return self._pack_page(request, shipment, scan_form, parcel_form, status=status)
        shipment.refresh_from_db()
        return self._pack_page(request, shipment, ScanForm(), parcel_form)

    def _pack_page(self, request, shipment, scan_form, parcel_form, *, status: int = 200):
        lines = list(shipment.lines.select_related("order_line", "stock_level").order_by("pk"))
        return self.render_screen(
            request, "admin/fulfillment/shipment/pack.html", status=status,
            title=f"Pack shipment {shipment.number}", original=shipment, lines=lines,
            has_view_permission=True,
            scan_form=scan_form, parcel_form=parcel_form,
            all_scanned=all(line.quantity_scanned >= line.quantity for line in lines),
            can_print_label=_can(request, "buy_label") or _can(request, "ship_shipment"))

    def label_view(self, request, pk: int):
        _require(request, "buy_label", "ship_shipment")
        shipment = get_object_or_404(Shipment, pk=pk)
        if not shipment.label:
            return HttpResponse("No label yet: it is bought after packing.", status=404,
                                content_type="text/plain")
        return pdf_download(shipment.label, filename=f"label-{shipment.number}.pdf")

    def slip_view(self, request, pk: int):
        _require(request, "pack_shipment", "ship_shipment")
        shipment = get_object_or_404(Shipment.objects.select_related(
            "order__shipping_address", "warehouse"), pk=pk)
        return pdf_download(pdf.packing_slip_pdf(shipment=shipment),
                            filename=f"slip-{shipment.number}.pdf")

    def collect_view(self, request, pk: int):
        _require(request, "ship_shipment")
        shipment = get_object_or_404(Shipment, pk=pk)
        form = PickupCodeForm(request.POST if request.method == "POST" else None)
        if form.is_bound and form.is_valid():
            try:
                services.collect_pickup(shipment_id=pk, code=form.cleaned_data["code"],
                                        actor=request.user)
            except ShopError as error:
                form.add_error("code", error.message)
            else:
                self.message_user(request, f"{shipment.number} collected.", messages.SUCCESS)
                return HttpResponseRedirect(reverse("admin:fulfillment_shipment_change",
                                                    args=[pk]))
        return self.render_screen(
            request, title=f"Hand over {shipment.number}", original=shipment, form=form,
            submit_label="Collected", intro="Ask the shopper for the 6-digit pickup code "
                                            "from their email.", has_view_permission=True)

    def scan_to_ship_view(self, request):
        _require(request, "ship_shipment")
        form = ScanForm(request.POST if request.method == "POST" else None)
        form.fields["code"].label = "Label barcode (tracking number)"
        if form.is_bound and form.is_valid():
            try:
                shipment = services.ship_by_scan(code=form.cleaned_data["code"],
                                                 actor=request.user)
            except ShopError as error:
                form.add_error("code", error.message)
            else:
                self.message_user(request, f"{shipment.number} shipped.", messages.SUCCESS)
                return HttpResponseRedirect(request.path)
        return self.render_screen(
            request, title="Scan labels to ship", form=form, submit_label="Ship",
            intro="Scan each parcel's label as it goes on the truck.",
            has_view_permission=True)

    def next_pick_list_view(self, request):
        _require(request, "pick_shipment")
        form = NextPickListForm(request.POST if request.method == "POST" else None)
        if form.is_bound and form.is_valid():
            try:
                pick_list = services.create_pick_list(
                    warehouse_id=form.cleaned_data["warehouse"].pk,
                    count=form.cleaned_data["count"], actor=request.user)
            except ShopError as error:
                form.add_error(None, error.message)
            else:
                return HttpResponseRedirect(reverse("admin:fulfillment_picklist_print",
                                                    args=[pick_list.pk]))
        return self.render_screen(
            request, title="Next pick list", form=form, submit_label="Make pick list",
            intro="The oldest pending shipments of the warehouse, by promised ship date.",
            has_view_permission=True)


class ScanForm(forms.Form):
    code = forms.CharField(label="Scan or type SKU / barcode", max_length=64,
                           widget=forms.TextInput(attrs={"autofocus": True,
                                                         "autocomplete": "off"}))


class ParcelForm(forms.Form):
    weight_grams = forms.IntegerField(label="Weight (grams)", min_value=1, max_value=70_000)
    length_cm = forms.IntegerField(label="Length (cm)", min_value=1, max_value=300,
                                   required=False)
    width_cm = forms.IntegerField(label="Width (cm)", min_value=1, max_value=300,
                                  required=False)
    height_cm = forms.IntegerField(label="Height (cm)", min_value=1, max_value=300,
                                   required=False)


class PickupCodeForm(forms.Form):
    code = forms.RegexField(regex=r"^\d{6}$", label="Pickup code",
                            error_messages={"invalid": "The code is 6 digits."})


class NextPickListForm(forms.Form):
    warehouse = forms.ModelChoiceField(queryset=None)
    count = forms.IntegerField(label="Shipments", min_value=1, max_value=200, initial=20)

    def __init__(self, *args, **kwargs):
        from inventory.models import Warehouse

        super().__init__(*args, **kwargs)
        self.fields["warehouse"].queryset = Warehouse.objects.filter(is_active=True)


@admin.register(PickList)
class PickListAdmin(admin.ModelAdmin):
    list_display = ("pk", "warehouse", "created_at", "created_by", "shipment_count", "picked_at",
                    "print_link")
    list_select_related = ("warehouse", "created_by")
    list_filter = ("warehouse",)
    readonly_fields = ("warehouse", "created_by", "created_at", "picked_at")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        from django.db.models import Count

        return super().get_queryset(request).annotate(shipment_total=Count("shipments"))

    @admin.display(description="Shipments", ordering="shipment_total")
    def shipment_count(self, pick_list):
        return pick_list.shipment_total

    @admin.display(description="Print")
    def print_link(self, pick_list):
        return format_html('<a href="{}">Print</a> · <a href="{}">PDF</a>',
                           reverse("admin:fulfillment_picklist_print", args=[pick_list.pk]),
                           reverse("admin:fulfillment_picklist_pdf", args=[pick_list.pk]))

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("<int:pk>/print/", view(self.print_view), name="fulfillment_picklist_print"),
            path("<int:pk>/pick-list.pdf", view(self.pdf_view), name="fulfillment_picklist_pdf"),
        ] + super().get_urls()

    def print_view(self, request, pk: int):
        _require(request, "pick_shipment")
        pick_list = get_object_or_404(PickList.objects.select_related("warehouse"), pk=pk)
        if request.method == "POST":
            try:
                services.mark_picked(pick_list_id=pk, actor=request.user)
            except ShopError as error:
                self.message_user(request, error.message, messages.ERROR)
                return HttpResponseRedirect(request.path)
            self.message_user(request, "Marked picked: the shipments are ready to pack.",
                              messages.SUCCESS)
            return HttpResponseRedirect(reverse("admin:fulfillment_shipment_changelist")
                                        + f"?state__exact=picking&warehouse__id__exact="
                                          f"{pick_list.warehouse_id}")
        return TemplateResponse(request, "admin/fulfillment/picklist/print.html", {
            **self.admin_site.each_context(request), "title": f"Pick list {pick_list.pk}",
            "opts": self.opts, "pick_list": pick_list, "rows": services.pick_list_rows(pick_list),
            "shipments": pick_list.shipments.select_related("order", "pick_list")
                                            .order_by("pk"),
        })

    def pdf_view(self, request, pk: int):
        _require(request, "pick_shipment")
        pick_list = get_object_or_404(PickList.objects.select_related("warehouse"), pk=pk)
        return pdf_download(pdf.pick_list_pdf(pick_list=pick_list,
                                              rows=services.pick_list_rows(pick_list)),
                            filename=f"pick-list-{pk}.pdf")


class CourierRateInline(admin.TabularInline):
    model = CourierRate
    extra = 1


@admin.register(CourierZone)
class CourierZoneAdmin(admin.ModelAdmin):
    list_display = ("name", "country", "postal_prefixes", "transit_days")
    inlines = [CourierRateInline]
