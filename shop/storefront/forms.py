from decimal import Decimal

from django import forms

from catalog.selectors import SORTS, ProductFilters

SORT_CHOICES = [
    ("featured", "Featured"),
    ("price", "Price: low to high"),
    ("-price", "Price: high to low"),
    ("newest", "Newest"),
    ("name", "Name: A to Z"),
]
assert {key for key, _ in SORT_CHOICES} == set(SORTS)

MAX_PRICE = Decimal("9999999999.99")


class ProductFilterForm(forms.Form):
    """The category page's filters. Option values arrive as ``opt.<Name>`` parameters."""

    price_min = forms.DecimalField(label="Min price", required=False, min_value=0,
                                   max_value=MAX_PRICE, decimal_places=2)
    price_max = forms.DecimalField(label="Max price", required=False, min_value=0,
                                   max_value=MAX_PRICE, decimal_places=2)
    in_stock = forms.BooleanField(label="In stock only", required=False)
    sort = forms.ChoiceField(label="Sort by", choices=SORT_CHOICES, required=False)

    def __init__(self, data, *, option_names: list[str], **kwargs):
        super().__init__(data, **kwargs)
        self.option_names = option_names

    def clean(self):
        cleaned = super().clean()
        if any("\x00" in value for key in self.data if key.startswith("opt.")
               for value in self.data.getlist(key)):
            # PostgreSQL cannot compare a string holding NUL; say so rather than fail.
            raise forms.ValidationError("Option values cannot contain null characters.")
        low, high = cleaned.get("price_min"), cleaned.get("price_max")
        if low is not None and high is not None and low > high:
            self.add_error("price_max", "The maximum price must not be below the minimum.")
        return cleaned

    def selected_options(self) -> dict[str, list[str]]:
        known = {name.lower(): name for name in self.option_names}
        chosen: dict[str, list[str]] = {}
        for key in self.data:
            if key.startswith("opt.") and key[4:].lower() in known:
                values = [value[:120] for value in self.data.getlist(key) if value.strip()][:20]
                if values:
                    chosen[known[key[4:].lower()]] = values
        return chosen

    def filters(self) -> ProductFilters:
        """The filters to apply: the valid fields (an invalid one is shown and ignored)."""
        cleaned = getattr(self, "cleaned_data", {})
        if self.non_field_errors():
            return ProductFilters(sort=cleaned.get("sort") or "featured")
        return ProductFilters(
            price_min=cleaned.get("price_min") if "price_min" not in self.errors else None,
            price_max=cleaned.get("price_max") if "price_max" not in self.errors else None,
            options=self.selected_options(),
            in_stock_only=bool(cleaned.get("in_stock")),
            sort=cleaned.get("sort") or "featured",
        )


class SearchForm(forms.Form):
    q = forms.CharField(label="Search the shop", max_length=200, required=False, strip=True)
