"""Segments: the list (filter by segment, search by email, sort by R/F/M), CSV export,
"Refresh now", and voucher campaigns to a segment (the Merchant's)."""

from __future__ import annotations

import io
from urllib.parse import urlencode

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html

from kernel.admin import ReadOnlyAdminMixin, ServiceScreensMixin
from kernel.enqueue import enqueue
from kernel.errors import ShopError
from kernel.spreadsheets import csv_writer

from .. import services, tasks
from ..forms import VoucherCampaignForm
from ..models import CustomerSegment, VoucherCampaign
from ..roles import CAMPAIGN_PERMISSION, TIMELINE_PERMISSION

CSV_HEADER = ["email", "account", "segment", "recency_days", "frequency", "monetary",
              "currency", "r", "f", "m", "first_order_at", "last_order_at", "refreshed_at"]


def timeline_link(email: str) -> str:
    return (reverse("admin:customers_customernote_timeline") + "?"
            + urlencode({"email": email}))


@admin.register(CustomerSegment)
class CustomerSegmentAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("email", "segment", "recency_days", "frequency", "monetary_money",
                    "r_score", "f_score", "m_score", "last_order_at", "timeline")
    list_filter = ("segment",)
    search_fields = ("email",)
    search_help_text = "Email (or part of it)."
    ordering = ("-monetary", "email")
    sortable_by = ("email", "segment", "recency_days", "frequency", "monetary_money",
                   "r_score", "f_score", "m_score", "last_order_at")
    show_full_result_count = False  # one COUNT for the filtered list, not a second one
    actions = ["export_csv"]
    change_list_template = "admin/customers/customersegment/change_list.html"

    @admin.display(description="Monetary", ordering="monetary")
    def monetary_money(self, row: CustomerSegment) -> str:
        return str(row.monetary_money)

    @admin.display(description="Timeline")
    def timeline(self, row: CustomerSegment):
        return format_html('<a href="{}">Timeline</a>', timeline_link(row.email))

    def has_refresh_permission(self, request) -> bool:
        return request.user.has_perm("customers.refresh_customersegment")

    def get_urls(self):
        return [path("refresh/", self.admin_site.admin_view(self.refresh_view),
                     name="customers_customersegment_refresh"),
                *super().get_urls()]

    def changelist_view(self, request, extra_context=None):
        latest = (CustomerSegment.objects.order_by("-refreshed_at")
                  .values_list("refreshed_at", flat=True).first())
        return super().changelist_view(request, {
            **(extra_context or {}), "refreshed_at": latest,
            "can_refresh": self.has_refresh_permission(request),
            "can_send_campaign": request.user.has_perm(CAMPAIGN_PERMISSION),
            "can_view_timeline": request.user.has_perm(TIMELINE_PERMISSION)})

    def refresh_view(self, request):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not self.has_refresh_permission(request):
            raise PermissionDenied
        enqueue(tasks.refresh_customer_segments)
        self.message_user(request, "Segments are being refreshed from the orders; reload in "
                                   "a moment.", messages.SUCCESS)
        return HttpResponseRedirect(reverse("admin:customers_customersegment_changelist"))

    @admin.action(description="Export selected as CSV", permissions=["view"])
    def export_csv(self, request, queryset):
        stream = io.StringIO()
        writer = csv_writer(stream)
        writer.writerow(CSV_HEADER)
        for row in queryset.select_related("user").order_by("email").iterator(chunk_size=2000):
            writer.writerow([row.email, row.user.get_username() if row.user_id else "",
                             row.get_segment_display(), row.recency_days, row.frequency,
                             row.monetary, row.currency, row.r_score, row.f_score,
                             row.m_score, row.first_order_at.isoformat(),
                             row.last_order_at.isoformat(), row.refreshed_at.isoformat()])
        response = HttpResponse(stream.getvalue(), content_type="text/csv; charset=utf-8")
        stamp = timezone.now().strftime("%Y%m%d-%H%M")
        response["Content-Disposition"] = f'attachment; filename="customer-segments-{stamp}.csv"'
        return response


@admin.register(VoucherCampaign)
class VoucherCampaignAdmin(ServiceScreensMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("pk", "segment", "kind", "value", "ends_at", "created_by", "created_at",
                    "eligible", "sent", "skipped_no_consent", "finished_at")
    list_filter = ("segment",)
    list_select_related = ("created_by",)
    readonly_fields = [field.name for field in VoucherCampaign._meta.fields]

    def has_add_permission(self, request, obj=None) -> bool:
        # Only the Merchant sends vouchers (they give money away); "add" is the send form.
        return request.user.has_perm(CAMPAIGN_PERMISSION)

    def add_view(self, request, form_url="", extra_context=None):
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = VoucherCampaignForm(request.POST if request.method == "POST" else None,
                                   initial={"segment": request.GET.get("segment", "")})
        status = 200
        if request.method == "POST":
            if form.is_valid():
                data = form.cleaned_data
                try:
                    campaign = services.create_voucher_campaign(
                        segment=data["segment"], kind=data["kind"], value=data["value"],
                        min_subtotal=data["min_subtotal"], ends_at=data["ends_at"],
                        subject=data["subject"], actor=request.user)
                except ShopError as error:
                    form.add_error(None, error.message)
                else:
                    self.message_user(request, f"Sending vouchers to {campaign.eligible} "
                                               "customer(s) who may be emailed; the counts "
                                               "update as they go.", messages.SUCCESS)
                    return HttpResponseRedirect(
                        reverse("admin:customers_vouchercampaign_change", args=[campaign.pk]))
            status = 400
        return self.render_screen(
            request, title="Send vouchers to a segment", form=form, status=status,
            submit_label="Send vouchers",
            intro="Each customer of the segment who agreed to marketing email gets one "
                  "single-use voucher code of their own. Customers without consent are "
                  "skipped and counted. Sending twice never sends twice.")
