"""Read-only screens: consent records, the marketing emails sent, cart reminders and
recoveries. Nothing is edited here: consent changes only by the person's own action."""

from __future__ import annotations

from django.contrib import admin

from kernel.admin import ReadOnlyAdminMixin

from .models import CartRecovery, CartReminder, ConsentRecord, MarketingEmail


@admin.register(ConsentRecord)
class ConsentRecordAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("email", "status", "source", "recorded_at", "user")
    list_filter = ("granted", "source", "recorded_at")
    search_fields = ("email",)
    list_select_related = ("user",)
    date_hierarchy = "recorded_at"
    fields = ("email", "user", "granted", "wording", "source", "recorded_at")

    @admin.display(description="Status", ordering="granted")
    def status(self, record: ConsentRecord) -> str:
        return "Granted" if record.granted else "Withdrawn"


@admin.register(MarketingEmail)
class MarketingEmailAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("to", "kind", "subject", "status", "created_at", "sent_at")
    list_filter = ("status", "kind")
    search_fields = ("to", "dedupe_key", "subject")
    date_hierarchy = "created_at"
    exclude = ("context",)


@admin.register(CartReminder)
class CartReminderAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("cart", "number", "recipient", "sent", "created_at")
    list_filter = ("number", "email__status")
    search_fields = ("email__to", "cart__token")
    list_select_related = ("cart", "email")
    raw_id_fields = ("cart", "email")

    @admin.display(description="To", ordering="email__to")
    def recipient(self, reminder: CartReminder) -> str:
        return reminder.email.to

    @admin.display(description="Sent at", ordering="email__sent_at")
    def sent(self, reminder: CartReminder):
        return reminder.email.sent_at or reminder.email.get_status_display()


@admin.register(CartRecovery)
class CartRecoveryAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("cart", "restored_cart", "reminder", "restored_at")
    list_select_related = ("cart", "restored_cart", "reminder")
    raw_id_fields = ("cart", "restored_cart", "reminder")
    date_hierarchy = "restored_at"
