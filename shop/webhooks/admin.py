"""Endpoints (register, choose events, enable after a disable) and the delivery log with a
Redeliver action. Thin: actions call ``services``."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages

from kernel.errors import ShopError

from . import services
from .models import EventType, WebhookAttempt, WebhookDelivery, WebhookEndpoint


class EndpointForm(forms.ModelForm):
    url = forms.URLField(label="URL", max_length=500, assume_scheme="https",
                         help_text="Where events are POSTed as JSON. Use https.")
    events = forms.MultipleChoiceField(choices=EventType.choices,
                                       widget=forms.CheckboxSelectMultiple,
                                       help_text="The events sent to this endpoint.")

    class Meta:
        model = WebhookEndpoint
        fields = ["name", "url", "events", "contact_email", "is_active"]

    def clean_url(self):
        url = self.cleaned_data["url"]
        try:
            return services.check_endpoint_url(url=url)
        except ShopError as error:
            raise forms.ValidationError(error.message, code=error.code) from error


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    form = EndpointForm
    list_display = ["name", "url", "is_active", "failing_since", "disabled_at"]
    list_filter = ["is_active"]
    readonly_fields = ["secret", "failing_since", "disabled_at", "disabled_reason",
                       "created_at"]
    actions = ["enable"]

    @admin.action(description="Enable (send pending deliveries again)",
                  permissions=["change"])
    def enable(self, request, queryset):
        for endpoint in queryset:
            services.enable_endpoint(endpoint_id=endpoint.pk)
        self.message_user(request, f"Enabled {queryset.count()} endpoint(s).")


class AttemptInline(admin.TabularInline):
    model = WebhookAttempt
    extra = 0
    can_delete = False
    fields = ["number", "manual", "started_at", "finished_at", "status_code", "succeeded",
              "error", "response_excerpt"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    list_display = ["event_type", "event_id", "endpoint", "state", "attempts",
                    "last_status_code", "next_attempt_at", "occurred_at"]
    list_filter = ["state", "endpoint", "event__type"]
    search_fields = ["event__event_id", "ordering_key"]
    list_select_related = ["event", "endpoint"]
    inlines = [AttemptInline]
    actions = ["redeliver"]
    readonly_fields = ["endpoint", "event", "event_id", "event_type", "payload", "state",
                       "ordering_key", "occurred_at", "attempts", "window_started_at",
                       "next_attempt_at", "last_status_code", "last_error", "delivered_at"]
    exclude = ["window_attempts", "claimed_until"]

    @admin.display(description="Event")
    def event_type(self, delivery):
        return delivery.event.type

    @admin.display(description="Event id")
    def event_id(self, delivery):
        return delivery.event.event_id

    @admin.display(description="Body")
    def payload(self, delivery):
        return services.event_body(delivery.event).decode()

    def has_add_permission(self, request):
        return False

    @admin.action(description="Redeliver (same event id)", permissions=["change"])
    def redeliver(self, request, queryset):
        sent = 0
        for delivery in queryset:
            try:
                services.redeliver(delivery_id=delivery.pk)
                sent += 1
            except ShopError as error:
                self.message_user(request, f"{delivery}: {error.message}", messages.ERROR)
        if sent:
            self.message_user(request, f"Queued {sent} redelivery(ies).")
