"""Catalog admin: thin adapters over ``catalog.services``.

Every write that carries a rule (the category tree, variants and their options, uploaded
images, bulk publishing) goes through a service; the admin parses input and maps
``CatalogError`` to a message a person can read, never a 500.
"""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Max, Min
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import ngettext

from kernel.admin import SERVICE_FORM_TEMPLATE, DomainErrorsAdminMixin
from kernel.money import quantize

from . import services
from .exceptions import CatalogError
from .models import (
    MAX_OPTIONS_PER_PRODUCT,
    Category,
    OptionValue,
    Product,
    ProductImage,
    ProductOption,
    Variant,
)

# Uploads are read into memory to be validated and re-encoded; refuse anything bigger.
MAX_UPLOAD_BYTES = 20 * 1024 * 1024
# A small admin page holding one form that calls one service (shared with inventory's admin).
# --- Categories -----------------------------------------------------------------------------


class IndentedCategoryChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Category) -> str:
        return f"{'— ' * obj.depth}{obj.name}"


class CategoryAdminForm(forms.ModelForm):
    class Meta:
        model = Category
        fields = ("name", "slug", "parent", "position", "is_active", "description",
                  "seo_title", "seo_description")

    def clean_parent(self):
        parent = self.cleaned_data.get("parent")
        # The service refuses this too (under a row lock); checking here puts the message
        # next to the field instead of on a redirected page.
        if parent is not None and self.instance.pk and self.instance.pk in parent.ancestor_ids:
            raise ValidationError(
                "A category cannot be moved under itself or its own subcategory."
            )
        return parent


@admin.register(Category)
class CategoryAdmin(DomainErrorsAdminMixin, admin.ModelAdmin):
    form = CategoryAdminForm
    list_display = ("indented_name", "slug", "position", "is_active", "product_count")
    list_filter = ("is_active", "depth")
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}
    ordering = ("path",)
    fields = ("name", "slug", "parent", "position", "is_active", "description",
              "seo_title", "seo_description")

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(product_count=Count("products"))

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "parent":
            return IndentedCategoryChoiceField(
                queryset=Category.objects.order_by("path"), required=False,
                help_text="Leave empty for a top-level category.",
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    @admin.display(description="Name", ordering="path")
    def indented_name(self, category: Category):
        return format_html(
            '<span style="padding-left: {}em">{}</span>', category.depth * 1.5, category.name
        )

    @admin.display(description="Products", ordering="product_count")
    def product_count(self, category: Category) -> int:
        return category.product_count

    def save_model(self, request, obj, form, change):
        # The service keeps path and depth right, for this category and its whole subtree.
        services.save_category(category=obj)


# --- Products: inlines ----------------------------------------------------------------------


def parse_options(text: str) -> dict[str, str]:
    """Read "Size=M; Color=Red" into {"Size": "M", "Color": "Red"}."""
    options: dict[str, str] = {}
    for part in (text or "").replace("\n", ";").split(";"):
        if not part.strip():
            continue
        name, separator, value = part.partition("=")
        name, value = name.strip(), value.strip()
        if not separator or not name or not value:
            raise ValidationError(f"Write each option as Name=Value (got {part.strip()!r}).")
        if name.lower() in {key.lower() for key in options}:
            raise ValidationError(f"Option {name!r} is given twice.")
        options[name] = value
    if len(options) > MAX_OPTIONS_PER_PRODUCT:
        raise ValidationError(f"A product has at most {MAX_OPTIONS_PER_PRODUCT} options.")
    return options


def format_options(variant: Variant) -> str:
    values = sorted(variant.option_values.all(), key=lambda value: value.option.position)
    return "; ".join(f"{value.option.name}={value.value}" for value in values)


class VariantInlineForm(forms.ModelForm):
    options = forms.CharField(
        required=False,
        help_text="Option values, e.g. Size=M; Color=Red (at most three options).",
        widget=forms.TextInput(attrs={"size": 24}),
    )

    class Meta:
        model = Variant
        fields = ("sku", "barcode", "options", "price", "compare_at_price", "currency",
                  "weight_grams", "is_active", "position")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            # The SKU is how save_variant finds a variant; renaming one is not supported.
            self.fields["sku"].disabled = True
            self.fields["sku"].help_text = "A SKU cannot be changed once the variant exists."
            self.initial.setdefault("options", format_options(self.instance))

    def clean_options(self) -> dict[str, str]:
        return parse_options(self.cleaned_data.get("options", ""))


class VariantInlineFormSet(forms.BaseInlineFormSet):
    """Catches option mistakes across rows before anything is saved."""

    def clean(self):
        super().clean()
        if any(self.errors):
            return
        names = set()
        if self.instance.pk:
            names = {option.name.lower() for option in self.instance.options.all()}
        combinations: dict[frozenset, str] = {}
        for form in self.forms:
            if not form.cleaned_data or form.cleaned_data.get("DELETE"):
                continue
            options = form.cleaned_data.get("options") or {}
            names |= {name.lower() for name in options}
            key = frozenset((name.lower(), value) for name, value in options.items())
            sku = form.cleaned_data.get("sku") or form.instance.sku
            if key and key in combinations:
                raise ValidationError(
                    f"Variants {combinations[key]} and {sku} have the same option values."
                )
            combinations[key] = sku
        if len(names) > MAX_OPTIONS_PER_PRODUCT:
            raise ValidationError(
                f"A product has at most {MAX_OPTIONS_PER_PRODUCT} options; "
                f"these variants use {len(names)}."
            )


class VariantInline(admin.TabularInline):
    model = Variant
    form = VariantInlineForm
    formset = VariantInlineFormSet
    extra = 0
    fields = ("sku", "barcode", "options", "price", "compare_at_price", "currency",
              "weight_grams", "is_active", "position")

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("option_values__option")


class ProductImageInline(admin.TabularInline):
    """Existing images: preview, alt text and order. New images come through the
    "Upload image" page, which validates and re-encodes the file."""

    model = ProductImage
    extra = 0
    fields = ("preview", "alt_text", "position", "source_url")
    readonly_fields = ("preview", "source_url")

    def has_add_permission(self, request, obj=None):
        return False

    @admin.display(description="Preview")
    def preview(self, image: ProductImage):
        if not image.image:
            return "No file (not fetched)"
        return format_html('<img src="{}" alt="{}" width="80">', image.small_url, image.alt_text)


class ProductOptionInline(admin.TabularInline):
    model = ProductOption
    extra = 0
    max_num = MAX_OPTIONS_PER_PRODUCT
    fields = ("name", "position", "value_list")
    readonly_fields = ("value_list",)

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("values")

    @admin.display(description="Values")
    def value_list(self, option: ProductOption) -> str:
        return ", ".join(value.value for value in option.values.all()) if option.pk else ""


# --- Products -------------------------------------------------------------------------------


class ProductImageUploadForm(forms.Form):
    image = forms.FileField(help_text="JPEG, PNG, GIF or WebP; stored re-encoded as JPEG.")
    alt_text = forms.CharField(
        max_length=200, help_text="Describe the photo for people who cannot see it."
    )
    position = forms.IntegerField(required=False, min_value=0,
                                  help_text="Leave empty to add it after the others.")

    def clean_image(self):
        upload = self.cleaned_data["image"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise ValidationError(
                f"The file is larger than {MAX_UPLOAD_BYTES // (1024 * 1024)} MB."
            )
        return upload


@admin.register(Product)
class ProductAdmin(DomainErrorsAdminMixin, admin.ModelAdmin):
    list_display = ("title", "category", "vendor", "price_range", "variant_count",
                    "is_published", "is_featured")
    list_select_related = ("category",)
    list_filter = ("is_published", "is_featured", "category", "vendor", "product_type")
    search_fields = ("title", "slug", "vendor", "tags", "variants__sku", "variants__barcode")
    search_help_text = "Title, slug, vendor, tags, or a variant's SKU or barcode."
    prepopulated_fields = {"slug": ("title",)}
    inlines = (ProductOptionInline, VariantInline, ProductImageInline)
    actions = ("publish_products", "unpublish_products")
    readonly_fields = ("created_at", "updated_at")
    fieldsets = (
        (None, {"fields": ("title", "slug", "category", "description")}),
        ("Organisation", {"fields": ("vendor", "product_type", "tags")}),
        ("Visibility", {"fields": ("is_published", "is_featured", "final_sale")}),
        ("Search engines", {"fields": ("seo_title", "seo_description"),
                            "classes": ("collapse",)}),
        ("History", {"fields": ("created_at", "updated_at"), "classes": ("collapse",)}),
    )

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(
            variant_count=Count("variants"),
            price_min=Min("variants__price"),
            price_max=Max("variants__price"),
        )

    @admin.display(description="Price", ordering="price_min")
    def price_range(self, product: Product) -> str:
        if product.price_min is None:
            return "—"
        # SQLite hands aggregates back unquantized (Decimal("4.5")); show the shop's minor units.
        low = quantize(product.price_min, settings.SHOP_CURRENCY)
        high = quantize(product.price_max, settings.SHOP_CURRENCY)
        return f"{low}" if low == high else f"{low} – {high}"

    @admin.display(description="Variants", ordering="variant_count")
    def variant_count(self, product: Product) -> int:
        return product.variant_count

    # --- saving ---------------------------------------------------------------------------

    def save_model(self, request, obj, form, change):
        services.save_product(product=obj)

    def save_formset(self, request, form, formset, change):
        if formset.model is Variant:
            self._save_variants(formset, product=form.instance)
        else:
            super().save_formset(request, form, formset, change)

    def _save_variants(self, formset, *, product: Product) -> None:
        """Variants go through save_variant, which owns the option and SKU rules."""
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        deleted_forms = formset.deleted_forms if formset.can_delete else []
        for form in formset.forms:
            if form in deleted_forms:
                # The formset has already refused deleting a variant that stock protects.
                if form.instance.pk:
                    formset.deleted_objects.append(form.instance)
                    form.instance.delete()
                continue
            if not form.has_changed():
                continue
            data = form.cleaned_data
            options = data["options"] or (
                {value.option.name: value.value for value in form.instance.option_values.all()}
                if form.instance.pk else {}
            )
            variant = services.save_variant(
                product=product,
                sku=data["sku"],
                price=data["price"],
                options=options,
                compare_at_price=data.get("compare_at_price"),
                barcode=data.get("barcode") or "",
                weight_grams=data.get("weight_grams") or 0,
                is_active=data.get("is_active", True),
                currency=data.get("currency"),
                position=data.get("position"),
            )
            if form.instance.pk:
                formset.changed_objects.append((variant, form.changed_data))
            else:
                formset.new_objects.append(variant)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        # The search entry covers fields the inlines may have changed.
        services.refresh_search_vectors(product_ids=[form.instance.pk])

    # --- bulk actions ---------------------------------------------------------------------

    @admin.action(permissions=["change"], description="Publish selected products")
    def publish_products(self, request, queryset):
        self._set_published(request, queryset, published=True)

    @admin.action(permissions=["change"], description="Unpublish selected products")
    def unpublish_products(self, request, queryset):
        self._set_published(request, queryset, published=False)

    def _set_published(self, request, queryset, *, published: bool) -> None:
        changed = services.set_products_published(
            product_ids=list(queryset.values_list("pk", flat=True)), published=published
        )
        verb = "published" if published else "unpublished"
        self.message_user(
            request,
            ngettext("%(count)d product %(verb)s.", "%(count)d products %(verb)s.", changed)
            % {"count": changed, "verb": verb},
            messages.SUCCESS,
        )

    # --- image upload ---------------------------------------------------------------------

    def get_urls(self):
        upload = path(
            "<path:object_id>/upload-image/",
            self.admin_site.admin_view(self.upload_image_view),
            name="catalog_product_upload_image",
        )
        return [upload, *super().get_urls()]

    def upload_image_view(self, request, object_id):
        product = get_object_or_404(Product, pk=object_id)
        if not self.has_change_permission(request, product):
            raise PermissionDenied
        if request.method == "POST":
            form = ProductImageUploadForm(request.POST, request.FILES)
        else:
            form = ProductImageUploadForm()
        if form.is_bound and form.is_valid():
            upload = form.cleaned_data["image"]
            try:
                services.add_product_image(
                    product=product,
                    content=upload.read(),
                    filename=upload.name,
                    alt_text=form.cleaned_data["alt_text"],
                    position=form.cleaned_data["position"],
                )
            except CatalogError as error:
                form.add_error("image", error.message)
            else:
                self.message_user(request, f"Image added to {product}; thumbnails follow.",
                                  messages.SUCCESS)
                return HttpResponseRedirect(
                    reverse("admin:catalog_product_change", args=[product.pk])
                )
        context = {
            **self.admin_site.each_context(request),
            "title": f"Upload an image for {product}",
            "opts": self.opts,
            "original": product,
            "form": form,
            "has_view_permission": self.has_view_permission(request, product),
            "submit_label": "Upload",
            "multipart": True,
        }
        return TemplateResponse(request, SERVICE_FORM_TEMPLATE, context)


# --- Options --------------------------------------------------------------------------------


class OptionValueInline(admin.TabularInline):
    model = OptionValue
    extra = 1
    fields = ("value", "position")


@admin.register(ProductOption)
class ProductOptionAdmin(admin.ModelAdmin):
    list_display = ("product", "name", "position", "value_list")
    list_select_related = ("product",)
    search_fields = ("product__title", "name", "values__value")
    inlines = (OptionValueInline,)
    raw_id_fields = ("product",)

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("values")

    @admin.display(description="Values")
    def value_list(self, option: ProductOption) -> str:
        return ", ".join(value.value for value in option.values.all())
