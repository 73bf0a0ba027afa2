"""Customer service: the timeline (with its note form) and the contact messages."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from kernel.admin import ReadOnlyAdminMixin, ReadOnlyInline
from kernel.errors import ShopError
from orders.models import Order

from .. import services
from ..forms import CustomerNoteForm, TimelineLookupForm
from ..models import ContactMessage, CustomerNote
from ..roles import NOTE_PERMISSION, TIMELINE_PERMISSION
from ..timeline import customer_timeline
from .segments import timeline_link


@admin.register(CustomerNote)
class CustomerNoteAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Notes are added on a customer's timeline (or from an order), never edited."""

    list_display = ("created_at", "email", "order", "author", "short_text")
    list_select_related = ("order", "author")
    search_fields = ("email", "order__number", "text")
    fields = ("created_at", "email", "user", "order", "author", "text")
    readonly_fields = fields

    @admin.display(description="Note")
    def short_text(self, note: CustomerNote) -> str:
        return note.text[:80]

    def get_urls(self):
        return [path("timeline/", self.admin_site.admin_view(self.timeline_view),
                     name="customers_customernote_timeline"),
                *super().get_urls()]

    def timeline_view(self, request):
        """``?email=`` (a guest or any address), ``?user=<id>`` or ``?order=<id>`` (that
        order's customer; a note added here is about that order)."""
        if not request.user.has_perm(TIMELINE_PERMISSION):
            raise PermissionDenied
        lookup = TimelineLookupForm(request.GET)
        if not lookup.is_valid():
            return self._render(request, status=400, errors=lookup.errors)
        email, user, order = lookup.cleaned_data["email"], None, None
        if lookup.cleaned_data["order"]:
            order = Order.objects.select_related("user").filter(
                pk=lookup.cleaned_data["order"]).first()
            if order is None:
                return self._render(request, status=404, errors={"order": ["No such order."]})
            email, user = order.email, order.user
        elif lookup.cleaned_data["user"]:
            user = get_user_model().objects.filter(pk=lookup.cleaned_data["user"]).first()
            if user is None:
                return self._render(request, status=404,
                                    errors={"user": ["No such account."]})
        note_form = CustomerNoteForm(request.POST if request.method == "POST" else None)
        status = 200
        if request.method == "POST":
            if not request.user.has_perm(NOTE_PERMISSION):
                raise PermissionDenied
            if note_form.is_valid():
                try:
                    services.add_customer_note(author=request.user,
                                               text=note_form.cleaned_data["text"],
                                               email=email or "", user=user, order=order)
                except ShopError as error:
                    note_form.add_error(None, error.message)
                else:
                    self.message_user(request, "Note added.", messages.SUCCESS)
                    return HttpResponseRedirect(request.get_full_path())
            status = 400
        return self._render(request, timeline=customer_timeline(email=email or "", user=user),
                            order=order, note_form=note_form, status=status,
                            can_add_note=request.user.has_perm(NOTE_PERMISSION))

    def _render(self, request, *, status: int = 200, **context):
        return TemplateResponse(request, "admin/customers/customernote/timeline.html", {
            **self.admin_site.each_context(request), "opts": self.opts,
            "title": "Customer timeline", **context}, status=status)


@admin.register(ContactMessage)
class ContactMessageAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("created_at", "subject", "name", "email", "linked_order", "status",
                    "answered_at")
    list_filter = ("status", "created_at")
    list_select_related = ("order",)
    search_fields = ("email", "subject", "order_number")
    fields = ("created_at", "status", "name", "email", "timeline", "order", "order_number",
              "subject", "message", "answered_at", "answered_by", "merchant_notified_at")
    readonly_fields = fields
    actions = ["mark_answered", "mark_closed", "reopen"]

    @admin.display(description="Order", ordering="order__number")
    def linked_order(self, contact: ContactMessage) -> str:
        return contact.order.number if contact.order_id else "—"

    @admin.display(description="Customer")
    def timeline(self, contact: ContactMessage):
        return format_html('<a href="{}">Timeline of {}</a>', timeline_link(contact.email),
                           contact.email)

    def has_answer_permission(self, request) -> bool:
        return request.user.has_perm("customers.change_contactmessage")

    def _move(self, request, queryset, status: str, done: str) -> None:
        moved, refused = 0, []
        for message_id in queryset.values_list("pk", flat=True):
            try:
                services.set_contact_message_status(message_id=message_id, status=status,
                                                    actor=request.user)
                moved += 1
            except ShopError as error:
                refused.append(error.message)
        if moved:
            self.message_user(request, f"{moved} message(s) {done}.", messages.SUCCESS)
        for message in refused[:5]:
            self.message_user(request, message, messages.ERROR)

    @admin.action(description="Mark answered", permissions=["answer"])
    def mark_answered(self, request, queryset):
        self._move(request, queryset, ContactMessage.Status.ANSWERED, "marked answered")

    @admin.action(description="Close", permissions=["answer"])
    def mark_closed(self, request, queryset):
        self._move(request, queryset, ContactMessage.Status.CLOSED, "closed")

    @admin.action(description="Reopen", permissions=["answer"])
    def reopen(self, request, queryset):
        self._move(request, queryset, ContactMessage.Status.OPEN, "reopened")


def order_timeline_url(order_id: int) -> str:
    """The timeline of an order's customer, where a note about that order is added."""
    return reverse("admin:customers_customernote_timeline") + "?" + urlencode(
        {"order": order_id})


class OrderNotesInline(ReadOnlyInline):
    """Staff notes about an order, on the order's page (added from the customer timeline:
    the "Customer timeline & notes" button)."""

    model = CustomerNote
    fk_name = "order"
    fields = ("created_at", "author", "text")
    readonly_fields = fields
    verbose_name = "staff note"
    verbose_name_plural = "Staff notes"
    view_permission = TIMELINE_PERMISSION

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("author")
