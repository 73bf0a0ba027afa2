"""The moderation queue: pending reviews first; approve, reject (with a reason) and reply
publicly, each a ``reviews.services`` call checked against the moderator's permission
(``reviews.moderate_review``, the Merchant role). Reviews are never edited here: what
the buyer wrote is what is published, or nothing."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join

from kernel.admin import ReadOnlyAdminMixin, ServiceScreensMixin
from kernel.errors import ShopError

from . import services
from .forms import ModerationReasonForm, ReplyForm
from .models import Review

MODERATE = "reviews.moderate_review"


class StatusFilter(admin.SimpleListFilter):
    """Pending reviews unless another status is chosen: the queue is the work."""

    title = "status"
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return [*Review.Status.choices, ("all", "All")]

    def choices(self, changelist):
        value = self.value() or Review.Status.PENDING
        for lookup, title in self.lookup_choices:
            yield {"selected": value == lookup, "display": title,
                   "query_string": changelist.get_query_string({self.parameter_name: lookup})}

    def queryset(self, request, queryset):
        value = self.value() or Review.Status.PENDING
        if value == "all":
            return queryset
        return queryset.filter(status=value)


class ApproveForm(forms.Form):
    """Nothing to fill in: the button is the decision."""


@admin.register(Review)
class ReviewAdmin(ReadOnlyAdminMixin, ServiceScreensMixin, admin.ModelAdmin):
    list_display = ("created_at", "product", "rating", "title", "author_name", "status",
                    "replied")
    list_display_links = ("created_at", "title")
    list_filter = (StatusFilter, "rating")
    list_select_related = ("product",)
    search_fields = ("title", "body", "author_name", "product__title")
    ordering = ("created_at", "pk")  # the oldest pending review first
    actions = ["approve_selected"]
    fields = ("product", "rating", "title", "body", "author_name", "status", "created_at",
              "rejection_reason", "reply", "moderated_by", "moderated_at", "moderation")
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("product", "moderated_by")

    @admin.display(boolean=True, description="Replied")
    def replied(self, review: Review) -> bool:
        return bool(review.reply)

    @admin.display(description="Moderate")
    def moderation(self, review: Review):
        steps = []
        if review.can_become(Review.Status.APPROVED):
            steps.append(("approve", "Approve…"))
        if review.can_become(Review.Status.REJECTED):
            steps.append(("reject", "Reject…"))
        if review.status != Review.Status.REJECTED:
            steps.append(("reply", "Reply publicly…"))
        return format_html_join(" ", '<a class="button" href="{}">{}</a>', [
            (reverse(f"admin:reviews_review_{name}", args=[review.pk]), label)
            for name, label in steps]) or "-"

    def has_moderate_permission(self, request) -> bool:
        return request.user.has_perm(MODERATE)

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("<int:review_id>/approve/", wrap(self.approve_view),
                 name="reviews_review_approve"),
            path("<int:review_id>/reject/", wrap(self.reject_view),
                 name="reviews_review_reject"),
            path("<int:review_id>/reply/", wrap(self.reply_view), name="reviews_review_reply"),
            *super().get_urls(),
        ]

    @admin.action(description="Approve selected reviews", permissions=["moderate"])
    def approve_selected(self, request, queryset):
        approved = 0
        for review_id in queryset.order_by("pk").values_list("pk", flat=True):
            try:
                services.approve_review(review_id=review_id, actor=request.user)
            except ShopError as error:
                self.message_user(request, error.message, messages.WARNING)
            else:
                approved += 1
        if approved:
            self.message_user(request, f"{approved} review{'s' if approved != 1 else ''} "
                                       "approved.", messages.SUCCESS)

    def _screen(self, request, review_id: int, *, form_class, title: str, submit_label: str,
                intro: str, call, done: str):
        if not self.has_moderate_permission(request):
            raise PermissionDenied("Moderating reviews needs the Merchant role.")
        review = get_object_or_404(Review.objects.select_related("product"), pk=review_id)
        status = 200
        form = form_class(request.POST if request.method == "POST" else None,
                          initial={"reply": review.reply} if form_class is ReplyForm else None)
        if request.method == "POST":
            if form.is_valid():
                try:
                    call(review, form.cleaned_data)
                except ShopError as error:
                    form.add_error(None, error.message)
                    status = error.status_code
                else:
                    self.message_user(request, done, messages.SUCCESS)
                    return HttpResponseRedirect(
                        reverse("admin:reviews_review_change", args=[review.pk]))
            else:
                status = 400
        return self.render_screen(
            request, title=title, original=review, form=form, submit_label=submit_label,
            intro=format_html("{} stars: “{}” {}", review.rating, review.title or "",
                              intro), status=status)

    def approve_view(self, request, review_id: int):
        return self._screen(
            request, review_id, form_class=ApproveForm, title="Approve review",
            submit_label="Approve and publish", intro="It will show on the product page.",
            call=lambda review, data: services.approve_review(review_id=review.pk,
                                                              actor=request.user),
            done="Review approved: it is on the product page.")

    def reject_view(self, request, review_id: int):
        return self._screen(
            request, review_id, form_class=ModerationReasonForm, title="Reject review",
            submit_label="Reject", intro="It will not be shown.",
            call=lambda review, data: services.reject_review(
                review_id=review.pk, reason=data["reason"], actor=request.user),
            done="Review rejected.")

    def reply_view(self, request, review_id: int):
        return self._screen(
            request, review_id, form_class=ReplyForm, title="Reply publicly",
            submit_label="Save reply", intro="Your reply is shown under the review.",
            call=lambda review, data: services.reply_to_review(
                review_id=review.pk, reply=data["reply"], actor=request.user),
            done="Reply saved.")
