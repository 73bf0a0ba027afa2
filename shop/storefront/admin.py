from django.contrib import admin

from . import pages
from .models import Page


@admin.register(Page)
class PageAdmin(admin.ModelAdmin):
    list_display = ["title", "slug", "in_footer", "is_published", "position", "updated_at"]
    list_editable = ["position"]
    list_filter = ["in_footer", "is_published"]
    search_fields = ["title", "slug", "body"]
    prepopulated_fields = {"slug": ["title"]}
    readonly_fields = ["updated_at"]
    fields = ["title", "slug", "footer_label", "body", "in_footer", "is_published", "position",
              "updated_at"]

    def save_model(self, request, obj, form, change):
        pages.save_page(page=obj)

    def delete_model(self, request, obj):
        pages.delete_page(page=obj)

    def delete_queryset(self, request, queryset):
        for page in queryset:
            pages.delete_page(page=page)
