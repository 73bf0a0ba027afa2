"""The return queue in admin and the steps of a return: each step (approve, reject,
receive, receive by scan, inspect, refund, exchange) is a button or a small page that
checks its permission, calls one ``returns.services`` function and reports the outcome."""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Case, IntegerField, Sum, Value, When
from django.http import HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.timesince import timesince

from inventory.models import Warehouse
from kernel.admin import SERVICE_FORM_TEMPLATE, ReadOnlyAdminMixin
from kernel.documents import pdf_download
from kernel.errors import ShopError
from kernel.money import Money
from payments.models import REFUND_ADJUSTMENT_PERMISSION

from .. import services
from ..models import ReturnRequest
from .forms import ApproveForm, InspectLineForm, RefundForm, RejectForm, ScanForm
from .inlines import ReturnEventInline, ReturnLineInline

State = ReturnRequest.State


def _can(request, step: str) -> bool:
    return request.user.has_perm(f"returns.{step}_returnrequest")


def _require(request, step: str) -> None:
    if not _can(request, step):
        raise PermissionDenied


def _status(error: ShopError) -> int:
    """The 4xx a refusal maps to (400, 404, 409), for a form shown again."""
    status = getattr(error, "status_code", 400)
    return status if 400 <= status < 500 else 400


class AdminMedia:
    css = {"all": ["css/admin-orders.css", "css/admin-returns.css"]}


# --- The queue ------------------------------------------------------------------------------


@admin.register(ReturnRequest)
class ReturnRequestAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("number", "order_link", "email", "state", "resolution", "method",
                    "units", "requested", "warehouse")
    list_filter = ("state", "resolution", "method", "warehouse")
    list_select_related = ("order", "warehouse")
    search_fields = ("number", "order__number", "order__email", "tracking_number")
    search_help_text = "RMA number, order number, email or return tracking number."
    inlines = [ReturnLineInline, ReturnEventInline]
    fieldsets = (
        (None, {"fields": ("number", "order_link", "email", "state", "resolution",
                           "customer_note", "created_at")}),
        ("Return parcel", {"fields": ("method", "warehouse", "staff_message",
                                      "tracking_number", "label_link", "approved_at",
                                      "received_at", "inspected_at", "closed_at")}),
        ("Refund", {"fields": ("items_money", "shipping_refund_money",
                               "return_shipping_fee_money", "restocking_fee_money",
                               "proposed_money", "decided_money", "refund_note",
                               "refunded_money", "refund_status")}),
        ("Exchange", {"fields": ("replacement_link",)}),
    )
    change_form_template = "admin/returns/returnrequest/change_form.html"
    change_list_template = "admin/returns/returnrequest/change_list.html"
    Media = AdminMedia

    def get_readonly_fields(self, request, obj=None):
        return [name for _, options in self.fieldsets for name in options["fields"]]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related(
            "order", "warehouse", "replacement_order").annotate(
            unit_total=Sum("lines__quantity"))

    def get_ordering(self, request):
        # Open returns first, oldest first: the queue a clerk works through.
        still_open = Case(When(state__in=list(ReturnRequest.OPEN_STATES), then=Value(0)),
                          default=Value(1), output_field=IntegerField())
        return (still_open.asc(), "created_at", "pk")

    # Returns come from shoppers and change only through the steps below.
    # --- columns and fields ---------------------------------------------------------------

    @admin.display(description="Order", ordering="order__number")
    def order_link(self, obj: ReturnRequest):
        return format_html('<a href="{}">{}</a>', reverse("admin:orders_order_change",
                                                          args=[obj.order_id]),
                           obj.order.number)

    @admin.display(description="Email", ordering="order__email")
    def email(self, obj: ReturnRequest) -> str:
        return obj.order.email

    @admin.display(description="Units", ordering="unit_total")
    def units(self, obj: ReturnRequest) -> int:
        return obj.unit_total or 0

    @admin.display(description="Age", ordering="created_at")
    def requested(self, obj: ReturnRequest):
        when = timezone.localtime(obj.created_at).strftime("%Y-%m-%d %H:%M")
        return format_html('<time datetime="{}" title="Requested {}">{}</time>',
                           obj.created_at.isoformat(), when,
                           timesince(obj.created_at).split(",")[0])

    @admin.display(description="Label")
    def label_link(self, obj: ReturnRequest):
        if not obj.label:
            return "—"
        return format_html('<a href="{}">Download label (PDF)</a>',
                           reverse("admin:returns_returnrequest_label", args=[obj.pk]))

    def _money(self, obj: ReturnRequest, amount) -> str:
        return str(Money(amount, obj.order.currency)) if amount is not None else "—"

    @admin.display(description="Items (paid price and tax)")
    def items_money(self, obj):
        return self._money(obj, obj.items_amount)

    @admin.display(description="Shipping refunded")
    def shipping_refund_money(self, obj):
        return self._money(obj, obj.shipping_refund)

    @admin.display(description="Return shipping fee")
    def return_shipping_fee_money(self, obj):
        return self._money(obj, -obj.return_shipping_fee if obj.return_shipping_fee else 0)

    @admin.display(description="Restocking fee")
    def restocking_fee_money(self, obj):
        return self._money(obj, -obj.restocking_fee if obj.restocking_fee else 0)

    @admin.display(description="Proposed refund")
    def proposed_money(self, obj):
        if obj.inspected_at is None:
            return "Proposed at inspection"
        return self._money(obj, obj.proposed_refund)

    @admin.display(description="Decided refund")
    def decided_money(self, obj):
        return self._money(obj, obj.refund_amount)

    @admin.display(description="Refunded")
    def refunded_money(self, obj):
        return self._money(obj, obj.refunded_amount)

    @admin.display(description="Refund status")
    def refund_status(self, obj):
        if obj.refund_error:
            return format_html('<strong class="return-error">Failed: {}</strong>',
                               obj.refund_error)
        if obj.refund_requested_at and obj.state != State.REFUNDED:
            return "Being made (the gateway is called in the background)"
        return "—"

    @admin.display(description="Replacement order")
    def replacement_link(self, obj):
        if not obj.replacement_order_id:
            return "—"
        return format_html('<a href="{}">{}</a>', reverse("admin:orders_order_change",
                                                          args=[obj.replacement_order_id]),
                           obj.replacement_order.number)

    # --- the buttons ----------------------------------------------------------------------

    def get_urls(self):
        def view(function):
            return self.admin_site.admin_view(function)

        return [
            path("scan/", view(self.scan_view), name="returns_returnrequest_scan"),
            path("<int:pk>/approve/", view(self.approve_view),
                 name="returns_returnrequest_approve"),
            path("<int:pk>/reject/", view(self.reject_view), name="returns_returnrequest_reject"),
            path("<int:pk>/receive/", view(self.receive_view),
                 name="returns_returnrequest_receive"),
            path("<int:pk>/inspect/", view(self.inspect_view),
                 name="returns_returnrequest_inspect"),
            path("<int:pk>/refund/", view(self.refund_view), name="returns_returnrequest_refund"),
            path("<int:pk>/exchange/", view(self.exchange_view),
                 name="returns_returnrequest_exchange"),
            path("<int:pk>/label.pdf", view(self.label_view), name="returns_returnrequest_label"),
            *super().get_urls(),
        ]

    @staticmethod
    def tools_for(request, obj: ReturnRequest) -> dict[str, bool]:
        """Which buttons the return's page shows: the state allows the step and the user
        holds its permission. The views check both again (the services under a lock)."""
        settling = obj.refund_requested_at is not None
        inspected = obj.state == State.INSPECTED and not settling
        return {
            "approve": obj.state == State.REQUESTED and _can(request, "approve"),
            # After inspection only a return with nothing accepted may still be rejected.
            "reject": _can(request, "approve") and (
                obj.state in {State.REQUESTED, State.APPROVED}
                or (inspected and not obj.items_amount)),
            "receive": obj.state == State.APPROVED and _can(request, "receive"),
            "inspect": obj.state == State.RECEIVED and _can(request, "inspect"),
            "refund": inspected and _can(request, "refund"),
            "exchange": (inspected and obj.resolution == ReturnRequest.Resolution.EXCHANGE
                         and _can(request, "refund")),
            "label": bool(obj.label) and _can(request, "view"),
        }

    def render_change_form(self, request, context, add=False, change=False, form_url="",
                           obj=None):
        if obj is not None:
            context["return_tools"] = self.tools_for(request, obj)
        return super().render_change_form(request, context, add, change, form_url, obj)

    def _return_page(self, pk: int) -> HttpResponseRedirect:
        return HttpResponseRedirect(reverse("admin:returns_returnrequest_change", args=[pk]))

    def _get(self, pk: int) -> ReturnRequest:
        return get_object_or_404(ReturnRequest.objects.select_related("order", "warehouse"),
                                 pk=pk)

    def _context(self, request, title: str, obj: ReturnRequest | None = None, **extra):
        return {**self.admin_site.each_context(request), "title": title, "opts": self.opts,
                "original": obj, "has_view_permission": _can(request, "view"),
                "media": self.media, **extra}

    def _refused(self, request, obj: ReturnRequest, error: ShopError) -> None:
        message = error.message if obj.number in error.message \
            else f"{obj.number}: {error.message}"
        self.message_user(request, message, messages.ERROR)

    def _post_button(self, request, pk: int, *, step: str, run, done: str):
        _require(request, step)
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        obj = self._get(pk)
        try:
            run(obj)
        except ShopError as error:
            self._refused(request, obj, error)
        else:
            self.message_user(request, done.format(number=obj.number), messages.SUCCESS)
        return self._return_page(pk)

    def approve_view(self, request, pk: int):
        _require(request, "approve")
        obj = self._get(pk)
        if obj.state != State.REQUESTED:
            self.message_user(request, f"{obj.number} is {obj.get_state_display().lower()}; "
                                       "only a requested return can be approved.",
                              messages.ERROR)
            return self._return_page(pk)
        form = ApproveForm(request.POST if request.method == "POST" else None,
                           default_warehouse=services.default_return_warehouse(obj))
        status = 200
        if form.is_bound:
            status = 400
            if form.is_valid():
                try:
                    services.approve_return(return_id=pk, actor=request.user,
                                            method=form.cleaned_data["method"],
                                            warehouse_id=form.cleaned_data["warehouse"],
                                            message=form.cleaned_data["message"])
                except ShopError as error:
                    self._refused(request, obj, error)
                    status = _status(error)
                else:
                    obj.refresh_from_db()
                    label = (" The prepaid label is issued." if obj.tracking_number else
                             " The prepaid label is being issued; the shopper is emailed it."
                             if obj.method == ReturnRequest.Method.LABEL else "")
                    self.message_user(request, f"{obj.number} approved: "
                                               f"{obj.get_method_display().lower()} to "
                                               f"{obj.warehouse}.{label}", messages.SUCCESS)
                    return self._return_page(pk)
        return TemplateResponse(request, SERVICE_FORM_TEMPLATE, self._context(
            request, f"Approve return {obj.number}", obj, form=form, submit_label="Approve",
            intro=f"Order {obj.order.number}, {obj.order.email}. The shopper is emailed the "
                  "approval (with the label for a prepaid return)."), status=status)

    def reject_view(self, request, pk: int):
        _require(request, "approve")
        obj = self._get(pk)
        form = RejectForm(request.POST if request.method == "POST" else None)
        status = 200
        if form.is_bound:
            status = 400
            if form.is_valid():
                try:
                    services.reject_return(return_id=pk, message=form.cleaned_data["message"],
                                           actor=request.user)
                except ShopError as error:
                    self._refused(request, obj, error)
                    status = _status(error)
                else:
                    self.message_user(request, f"{obj.number} rejected; the shopper is "
                                               "emailed your message.", messages.SUCCESS)
                    return self._return_page(pk)
        return TemplateResponse(request, SERVICE_FORM_TEMPLATE, self._context(
            request, f"Reject return {obj.number}", obj, form=form, submit_label="Reject",
            intro=f"Order {obj.order.number}, {obj.order.email}."), status=status)

    def receive_view(self, request, pk: int):
        return self._post_button(
            request, pk, step="receive", done="{number} received.",
            run=lambda obj: services.receive_return(return_id=obj.pk, actor=request.user))

    def scan_view(self, request):
        """Receive parcels by scanning their labels, one after another: the page comes back
        with the input focused after each scan."""
        _require(request, "receive")
        form = ScanForm(request.POST if request.method == "POST" else None)
        status = 200
        if form.is_bound:
            status = 400
            if form.is_valid():
                try:
                    obj = services.receive_by_scan(code=form.cleaned_data["code"],
                                                   actor=request.user)
                except ShopError as error:
                    self.message_user(request, error.message, messages.ERROR)
                    status = _status(error)
                    form = ScanForm()  # empty and focused for the next scan
                else:
                    self.message_user(request, format_html(
                        '<a href="{}">{}</a> received (order {}, {} unit(s)). Scan the next '
                        'parcel.', reverse("admin:returns_returnrequest_change", args=[obj.pk]),
                        obj.number, obj.order.number,
                        sum(obj.lines.values_list("quantity", flat=True))), messages.SUCCESS)
                    return HttpResponseRedirect(request.path)
        return TemplateResponse(request, SERVICE_FORM_TEMPLATE, self._context(
            request, "Receive returns by scan", form=form, submit_label="Receive",
            intro="Scan each returned parcel as it arrives; it is marked received."),
            status=status)

    def inspect_view(self, request, pk: int):
        _require(request, "inspect")
        obj = self._get(pk)
        if obj.state != State.RECEIVED:
            self.message_user(request, f"{obj.number} is {obj.get_state_display().lower()}; "
                                       "only a received return can be inspected.",
                              messages.ERROR)
            return self._return_page(pk)
        lines = list(obj.lines.select_related("order_line", "exchange_variant__product")
                     .order_by("pk"))
        warehouses = [(warehouse.pk, str(warehouse)) for warehouse in
                      Warehouse.objects.filter(is_active=True).order_by("priority", "code")]
        data = request.POST if request.method == "POST" else None
        rows = [InspectLineForm(data, line=line, warehouses=warehouses,
                                initial={"warehouse": obj.warehouse_id})
                for line in lines]
        status = 200
        if data is not None:
            status = 400
            if all(row.is_valid() for row in rows):
                inspections = [services.Inspection(
                    return_line_id=row.line.pk, condition=row.cleaned_data["condition"],
                    restock=row.cleaned_data["restock"],
                    warehouse_id=row.cleaned_data["warehouse"]) for row in rows]
                try:
                    obj = services.inspect_return(return_id=pk, inspections=inspections,
                                                  actor=request.user)
                except ShopError as error:
                    self._refused(request, obj, error)
                    status = _status(error)
                    for row in rows:
                        problem = getattr(error, "errors", {}).get(row.line.pk)
                        if problem:
                            row.add_error(None, problem)
                else:
                    self.message_user(request, f"{obj.number} inspected. Proposed refund "
                                               f"{obj.money('proposed_refund')}.",
                                      messages.SUCCESS)
                    return self._return_page(pk)
            else:
                self.message_user(request, "Inspection incomplete: see the lines below.",
                                  messages.ERROR)
        return TemplateResponse(request, "admin/returns/returnrequest/inspect.html",
                                self._context(request, f"Inspect return {obj.number}", obj,
                                              rows=rows), status=status)

    def refund_view(self, request, pk: int):
        _require(request, "refund")
        obj = self._get(pk)
        if obj.state != State.INSPECTED or obj.refund_requested_at is not None:
            self.message_user(request, f"{obj.number} is {obj.get_state_display().lower()}"
                              + ("; its refund is being made." if obj.refund_requested_at
                                 else "; only an inspected return can be refunded."),
                              messages.ERROR)
            return self._return_page(pk)
        currency = obj.order.currency
        may_give_goodwill = request.user.has_perm(REFUND_ADJUSTMENT_PERMISSION)
        form = RefundForm(request.POST if request.method == "POST" else None,
                          currency=currency, may_give_goodwill=may_give_goodwill,
                          initial={"amount": obj.proposed_refund})
        limit = services.refund_headroom(obj.order, exclude=obj)
        covered = Money(min(obj.covered_refund, limit), currency)
        covers = ("what this return covers (its items as paid, with any shipping refunded, "
                  "before fees)")
        on_order = (f"what order {obj.order.number} has captured and not yet refunded, less "
                    "refunds other returns have decided")
        proposed = f"Proposed {obj.money('proposed_refund')}."
        if may_give_goodwill and limit > obj.covered_refund:
            help_text = (f"{proposed} Up to {covered}, {covers}, it is the return's refund. "
                         f"Above that, up to {Money(limit, currency)} ({on_order}), the "
                         "difference is a goodwill refund: say why below.")
        else:
            help_text = (f"{proposed} You may adjust it: above zero and at most {covered}, "
                         + (covers if limit >= obj.covered_refund else on_order) + ".")
            if not may_give_goodwill:
                help_text += (" Refunding more than the return covers is a goodwill refund, "
                              "for a role allowed to make refund adjustments.")
        form.fields["amount"].help_text = help_text
        status = 200
        if form.is_bound:
            status = 400
            if form.is_valid():
                try:
                    services.refund_return(return_id=pk, amount=form.cleaned_data["amount"],
                                           note=form.cleaned_data.get("note", ""),
                                           actor=request.user)
                except ShopError as error:
                    self._refused(request, obj, error)
                    status = _status(error)
                else:
                    self._report_refund(request, pk)
                    return self._return_page(pk)
        return TemplateResponse(request, "admin/returns/returnrequest/refund.html",
                                self._context(request, f"Refund return {obj.number}", obj,
                                              form=form, submit_label="Refund",
                                              covered=covered,
                                              limit=Money(limit, currency),
                                              breakdown=self._breakdown(obj)), status=status)

    def _breakdown(self, obj: ReturnRequest) -> list[tuple[str, str]]:
        return [("Items (paid price and tax)", self.items_money(obj)),
                ("Shipping refunded", self.shipping_refund_money(obj)),
                ("Return shipping fee", self.return_shipping_fee_money(obj)),
                ("Restocking fee", self.restocking_fee_money(obj)),
                ("Proposed refund", self.proposed_money(obj))]

    def _report_refund(self, request, pk: int) -> None:
        # With an eager worker the refund is made before the redirect; with a real one it
        # follows shortly. Say which.
        obj = ReturnRequest.objects.select_related("order").get(pk=pk)
        if obj.state == State.REFUNDED:
            self.message_user(request, f"{obj.number}: refunded "
                                       f"{obj.money('refunded_amount')}.", messages.SUCCESS)
        elif obj.refund_error:
            self.message_user(request, f"{obj.number}: the refund failed ({obj.refund_error}). "
                                       "You can try again.", messages.ERROR)
        else:
            self.message_user(request, f"{obj.number}: refund of {obj.money('refund_amount')} "
                                       "is being made.", messages.SUCCESS)

    def exchange_view(self, request, pk: int):
        _require(request, "refund")
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        obj = self._get(pk)
        try:
            obj = services.exchange_return(return_id=pk, actor=request.user)
        except ShopError as error:
            self._refused(request, obj, error)
        else:
            self.message_user(request, format_html(
                '{}: exchange order <a href="{}">{}</a> created; it ships like any order.',
                obj.number, reverse("admin:orders_order_change",
                                    args=[obj.replacement_order_id]),
                obj.replacement_order.number), messages.SUCCESS)
        return self._return_page(pk)

    def label_view(self, request, pk: int):
        _require(request, "view")
        obj = get_object_or_404(ReturnRequest, pk=pk)
        if not obj.label:
            return HttpResponse("No label: the return is not approved with a prepaid label.",
                                status=404, content_type="text/plain")
        return pdf_download(obj.label, filename=f"{obj.number}-label.pdf")
