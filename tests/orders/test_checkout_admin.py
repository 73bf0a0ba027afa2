"""Checkout configuration in Django admin: shipping zones and methods (with weight tiers),
tax rates and vouchers, added and changed through the admin pages. Every rule the forms
check shows its message next to the field it is about, and a refused form writes nothing."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from orders.models import ShippingMethod, ShippingWeightTier, ShippingZone, TaxRate, Voucher
from tests.factories import WarehouseFactory

pytestmark = pytest.mark.django_db


def management(prefix: str, total: int = 0, initial: int = 0) -> dict:
    return {f"{prefix}-TOTAL_FORMS": str(total), f"{prefix}-INITIAL_FORMS": str(initial),
            f"{prefix}-MIN_NUM_FORMS": "0", f"{prefix}-MAX_NUM_FORMS": "1000"}


def config_rows() -> dict:
    return {model.__name__: list(model.objects.order_by("pk").values())
            for model in (ShippingZone, ShippingMethod, ShippingWeightTier, TaxRate, Voucher)}


def error_next_to(response, field: str, text: str) -> None:
    """``text`` is in the form's errors for ``field`` and shown in that field's row."""
    assert response.status_code == 200, "the form should come back with errors"
    form = response.context["adminform"].form
    assert any(text in message for message in form.errors.get(field, [])), form.errors
    html = response.content.decode()
    row = re.search(rf'<div class="form-row errors field-{field}">\s*'
                    rf'<ul class="errorlist"[^>]*>(.*?)</ul>', html, re.S)
    assert row is not None, f"no error row for {field}"
    assert escape(text) in row.group(1)


def refused(admin_client, url: str, data: dict, field: str, text: str) -> None:
    before = config_rows()
    response = admin_client.post(url, data)
    error_next_to(response, field, text)
    assert config_rows() == before


# --- Shipping zones -------------------------------------------------------------------------

ZONE_ADD = reverse("admin:orders_shippingzone_add")


def zone_data(**overrides) -> dict:
    return {"name": "Europe", "countries": "de, FR,de", "rest_of_world": "",
            **management("methods"), **overrides}


def inline_method(index: int, **overrides) -> dict:
    row = {"name": "Standard", "kind": "flat", "price": "6.00", "free_above": "",
           "min_delivery_days": "2", "max_delivery_days": "5", "pickup_warehouse": "",
           "is_active": "on", "position": "0", **overrides}
    return {f"methods-{index}-{key}": value for key, value in row.items()}


def test_a_zone_is_added_with_its_methods_and_clean_country_codes(admin_client):
    response = admin_client.post(ZONE_ADD, {**zone_data(**management("methods", total=1)),
                                            **inline_method(0)})
    assert response.status_code == 302
    zone = ShippingZone.objects.get()
    assert zone.countries == "DE, FR"
    method = zone.methods.get()
    assert (method.name, method.price, method.currency) == ("Standard", Decimal("6.00"), "USD")


def test_a_zone_with_an_unknown_country_code_is_refused(admin_client):
    refused(admin_client, ZONE_ADD, zone_data(countries="DE, XX"), "countries",
            "Unknown country codes: XX.")


def test_a_zone_with_no_countries_and_not_rest_of_world_is_refused(admin_client):
    refused(admin_client, ZONE_ADD, zone_data(countries=" , "), "countries",
            "List the countries this zone covers")


def test_a_pickup_row_without_warehouse_in_the_zone_page_writes_nothing(admin_client):
    before = config_rows()
    response = admin_client.post(ZONE_ADD, {**zone_data(**management("methods", total=1)),
                                            **inline_method(0, kind="pickup")})
    assert response.status_code == 200
    formset = response.context["inline_admin_formsets"][0].formset
    assert "Store pickup needs the warehouse" in str(formset.errors[0]["pickup_warehouse"])
    assert re.search(r'<td class="field-pickup_warehouse">\s*<ul class="errorlist',
                     response.content.decode())
    assert config_rows() == before


def test_a_zone_is_renamed(admin_client):
    zone = ShippingZone.objects.create(name="EU", countries="DE")
    url = reverse("admin:orders_shippingzone_change", args=[zone.pk])
    response = admin_client.post(url, zone_data(name="European Union", countries="de"))
    assert response.status_code == 302
    zone.refresh_from_db()
    assert (zone.name, zone.countries) == ("European Union", "DE")


# --- Shipping methods -----------------------------------------------------------------------

METHOD_ADD = reverse("admin:orders_shippingmethod_add")


@pytest.fixture
def zone():
    return ShippingZone.objects.create(name="US", countries="US")


@pytest.fixture
def store():
    return WarehouseFactory(code="store", allows_store_pickup=True)


def method_data(zone, **overrides) -> dict:
    return {"zone": zone.pk, "name": "Ground", "kind": "flat", "is_active": "on",
            "position": "0", "price": "5.00", "currency": "USD", "free_above": "",
            "min_subtotal": "", "min_delivery_days": "2", "max_delivery_days": "5",
            "pickup_warehouse": "", **management("tiers"), **overrides}


def tiers(*rows) -> dict:
    data = management("tiers", total=len(rows))
    for index, (grams, price) in enumerate(rows):
        data |= {f"tiers-{index}-up_to_grams": str(grams), f"tiers-{index}-price": price}
    return data


def test_a_weight_method_is_added_with_its_tiers(admin_client, zone):
    response = admin_client.post(METHOD_ADD, method_data(
        zone, name="By weight", kind="weight", price="0", currency="usd",
        **tiers((1000, "4.00"), (5000, "9.50"))), follow=True)
    assert response.redirect_chain
    method = ShippingMethod.objects.get()
    assert (method.kind, method.currency) == ("weight", "USD")
    assert list(method.tiers.values_list("up_to_grams", "price")) == [
        (1000, Decimal("4.00")), (5000, Decimal("9.50"))]
    assert "has no weight tiers" not in response.content.decode()


def test_a_weight_method_without_tiers_is_saved_with_a_warning(admin_client, zone):
    response = admin_client.post(METHOD_ADD, method_data(zone, kind="weight"), follow=True)
    assert ShippingMethod.objects.get().kind == "weight"
    assert "is priced by weight but has no weight tiers" in response.content.decode()


def test_two_tiers_with_the_same_weight_are_refused(admin_client, zone):
    before = config_rows()
    response = admin_client.post(METHOD_ADD, method_data(
        zone, kind="weight", **tiers((1000, "4.00"), (1000, "5.00"))))
    assert response.status_code == 200
    assert "duplicate" in str(response.context["inline_admin_formsets"][0].formset
                              .non_form_errors()).lower()
    assert config_rows() == before


def test_a_pickup_method_is_added_with_its_warehouse(admin_client, zone, store):
    response = admin_client.post(METHOD_ADD, method_data(
        zone, name="Collect in store", kind="pickup", price="0", pickup_warehouse=store.pk))
    assert response.status_code == 302
    assert ShippingMethod.objects.get().pickup_warehouse == store


def test_a_pickup_method_without_warehouse_is_refused(admin_client, zone):
    refused(admin_client, METHOD_ADD, method_data(zone, kind="pickup"), "pickup_warehouse",
            "Store pickup needs the warehouse shoppers collect their order from.")


def test_a_delivered_method_with_a_pickup_warehouse_is_refused(admin_client, zone, store):
    refused(admin_client, METHOD_ADD, method_data(zone, pickup_warehouse=store.pk),
            "pickup_warehouse", "Only store pickup methods have a pickup warehouse")


def test_a_reversed_delivery_window_is_refused(admin_client, zone):
    refused(admin_client, METHOD_ADD, method_data(zone, min_delivery_days="6",
                                                  max_delivery_days="3"),
            "max_delivery_days", "The latest delivery day cannot come before the earliest.")


@pytest.mark.parametrize("currency,message", [
    ("US", "Enter a three-letter currency code"), ("US$", "Enter a three-letter currency code"),
    ("1SD", "Enter a three-letter currency code"),
    ("dollars", "Ensure this value has at most 3 characters"),
])
def test_a_method_with_a_bad_currency_code_is_refused(admin_client, zone, currency, message):
    refused(admin_client, METHOD_ADD, method_data(zone, currency=currency), "currency",
            message)


def test_a_method_change_that_breaks_a_rule_leaves_it_as_it_was(admin_client, zone, store):
    method = ShippingMethod.objects.create(zone=zone, name="Ground", price=Decimal("5.00"))
    url = reverse("admin:orders_shippingmethod_change", args=[method.pk])
    refused(admin_client, url, method_data(zone, name="Renamed", kind="pickup"),
            "pickup_warehouse", "Store pickup needs the warehouse")
    response = admin_client.post(url, method_data(zone, name="Renamed", price="7.25",
                                                  min_delivery_days="1",
                                                  max_delivery_days="1"))
    assert response.status_code == 302
    method.refresh_from_db()
    assert (method.name, method.price, method.max_delivery_days) == ("Renamed",
                                                                     Decimal("7.25"), 1)


# --- Tax rates ------------------------------------------------------------------------------

TAX_ADD = reverse("admin:orders_taxrate_add")


def tax_data(**overrides) -> dict:
    return {"country": "us", "region": " OR ", "name": "Sales tax", "rate": "7.250",
            **overrides}


def test_a_tax_rate_is_added_with_clean_codes(admin_client):
    assert admin_client.post(TAX_ADD, tax_data()).status_code == 302
    rate = TaxRate.objects.get()
    assert (rate.country, rate.region, rate.rate) == ("US", "OR", Decimal("7.250"))


@pytest.mark.parametrize("country,message", [
    ("XX", "'XX' is not a country code the shop knows"),
    ("1", "'1' is not a country code the shop knows"),
    ("USA", "Ensure this value has at most 2 characters"),
])
def test_a_tax_rate_with_a_bad_country_code_is_refused(admin_client, country, message):
    refused(admin_client, TAX_ADD, tax_data(country=country), "country", message)


@pytest.mark.parametrize("region", ["OR", "or", " Or "])
def test_a_second_rate_for_a_region_in_any_case_is_refused(admin_client, region):
    TaxRate.objects.create(country="US", region="OR", rate=Decimal("5"))
    refused(admin_client, TAX_ADD, tax_data(region=region), "region",
            "already has a tax rate; change that one.")


def test_a_second_country_wide_rate_is_refused(admin_client):
    TaxRate.objects.create(country="DE", region="", rate=Decimal("19"))
    refused(admin_client, TAX_ADD, tax_data(country="de", region=""), "region",
            "Germany already has a tax rate")


def test_a_tax_rate_is_changed_without_clashing_with_itself(admin_client):
    rate = TaxRate.objects.create(country="US", region="OR", rate=Decimal("5"))
    other = TaxRate.objects.create(country="US", region="WA", rate=Decimal("6.5"))
    url = reverse("admin:orders_taxrate_change", args=[rate.pk])
    assert admin_client.post(url, tax_data(region="or", rate="6")).status_code == 302
    rate.refresh_from_db()
    assert (rate.region, rate.rate) == ("or", Decimal("6.000"))
    refused(admin_client, url, tax_data(region="wa"), "region", "already has a tax rate")
    other.refresh_from_db()
    assert other.rate == Decimal("6.500")


# --- Vouchers -------------------------------------------------------------------------------

VOUCHER_ADD = reverse("admin:orders_voucher_add")


def when(moment) -> dict:
    local = timezone.localtime(moment)
    return {"0": local.strftime("%Y-%m-%d"), "1": local.strftime("%H:%M:%S")}


def voucher_data(**overrides) -> dict:
    data = {"code": " spring10 ", "kind": "percentage", "value": "10", "currency": "USD",
            "is_active": "on", "min_subtotal": "", "starts_at_0": "", "starts_at_1": "",
            "ends_at_0": "", "ends_at_1": "", "usage_limit": "", "per_customer_limit": "",
            **management("uses")}
    for field in ("starts_at", "ends_at"):
        moment = overrides.pop(field, None)
        if moment is not None:
            data |= {f"{field}_{part}": value for part, value in when(moment).items()}
    return data | overrides


def test_a_voucher_is_added_with_its_code_upper_case(admin_client):
    now = timezone.now().replace(microsecond=0)
    response = admin_client.post(VOUCHER_ADD, voucher_data(
        starts_at=now, ends_at=now + timedelta(days=7), usage_limit="100",
        per_customer_limit="1"))
    assert response.status_code == 302
    voucher = Voucher.objects.get()
    assert (voucher.code, voucher.value, voucher.usage_limit) == ("SPRING10", Decimal("10"),
                                                                  100)
    assert voucher.ends_at - voucher.starts_at == timedelta(days=7)


@pytest.mark.parametrize("value", ["100.01", "150", "0"])
def test_a_percentage_outside_0_to_100_is_refused(admin_client, value):
    refused(admin_client, VOUCHER_ADD, voucher_data(value=value), "value",
            "A percentage voucher takes off between 0 and 100 percent.")


@pytest.mark.parametrize("value", ["0", "0.00"])
def test_a_fixed_voucher_of_nothing_is_refused(admin_client, value):
    refused(admin_client, VOUCHER_ADD, voucher_data(kind="fixed", value=value), "value",
            "A fixed-amount voucher needs an amount above zero.")


@pytest.mark.parametrize("days", [0, -1])
def test_a_voucher_ending_before_it_starts_is_refused(admin_client, days):
    now = timezone.now().replace(microsecond=0)
    refused(admin_client, VOUCHER_ADD, voucher_data(starts_at=now,
                                                    ends_at=now + timedelta(days=days)),
            "ends_at", "The voucher must end after it starts.")


def test_a_voucher_with_a_bad_currency_is_refused(admin_client):
    refused(admin_client, VOUCHER_ADD, voucher_data(kind="fixed", value="5", currency="E"),
            "currency", "Enter a three-letter currency code")


@pytest.mark.parametrize("code", ["SPRING10", "spring10", " Spring10 "])
def test_a_duplicate_code_in_any_case_is_refused(admin_client, code):
    Voucher.objects.create(code="SPRING10", kind="fixed", value=Decimal("5"))
    refused(admin_client, VOUCHER_ADD, voucher_data(code=code), "code",
            "A voucher with the code SPRING10 already exists.")


def test_a_code_stored_in_another_case_still_clashes(admin_client):
    voucher = Voucher.objects.create(code="SPRING10", kind="fixed", value=Decimal("5"))
    Voucher.objects.filter(pk=voucher.pk).update(code="Spring10")  # around the model's save
    refused(admin_client, VOUCHER_ADD, voucher_data(code="spring10"), "code",
            "A voucher with the code SPRING10 already exists.")


def test_a_usage_limit_below_the_uses_so_far_is_refused(admin_client):
    voucher = Voucher.objects.create(code="USED", kind="percentage", value=Decimal("10"),
                                     usage_limit=10, used_count=3)
    url = reverse("admin:orders_voucher_change", args=[voucher.pk])
    refused(admin_client, url, voucher_data(code="USED", usage_limit="2"), "usage_limit",
            "This voucher has already been used 3 times; the limit cannot be lower.")
    assert admin_client.post(url, voucher_data(code="used", usage_limit="3")
                             ).status_code == 302
    voucher.refresh_from_db()
    assert (voucher.code, voucher.usage_limit, voucher.used_count) == ("USED", 3, 3)


def test_uses_made_while_staff_edit_the_voucher_are_kept(admin_client, monkeypatch):
    """An order placed between loading the voucher and saving the form moves used_count;
    the admin's save must not write back the count it read."""
    from orders.admin import VoucherForm

    voucher = Voucher.objects.create(code="BUSY", kind="percentage", value=Decimal("10"),
                                     usage_limit=50, used_count=3)
    clean = VoucherForm.clean

    def an_order_uses_it_meanwhile(form):
        Voucher.objects.filter(pk=voucher.pk).update(used_count=F("used_count") + 1)
        return clean(form)

    monkeypatch.setattr(VoucherForm, "clean", an_order_uses_it_meanwhile)
    url = reverse("admin:orders_voucher_change", args=[voucher.pk])
    assert admin_client.post(url, voucher_data(code="BUSY", value="15", usage_limit="60")
                             ).status_code == 302
    voucher.refresh_from_db()
    assert (voucher.value, voucher.usage_limit, voucher.used_count) == (Decimal("15"), 60, 4)


def test_the_limit_check_counts_uses_made_after_the_page_loaded(admin_client, monkeypatch):
    from orders.admin import VoucherForm

    voucher = Voucher.objects.create(code="RACE", kind="percentage", value=Decimal("10"),
                                     usage_limit=10, used_count=3)
    clean = VoucherForm.clean

    def an_order_uses_it_meanwhile(form):
        Voucher.objects.filter(pk=voucher.pk).update(used_count=F("used_count") + 1)
        return clean(form)

    monkeypatch.setattr(VoucherForm, "clean", an_order_uses_it_meanwhile)
    url = reverse("admin:orders_voucher_change", args=[voucher.pk])
    response = admin_client.post(url, voucher_data(code="RACE", usage_limit="3"))
    error_next_to(response, "usage_limit", "already been used 4 times")
    voucher.refresh_from_db()
    assert (voucher.usage_limit, voucher.used_count) == (10, 4)


def test_a_voucher_keeps_its_own_code_when_changed(admin_client):
    voucher = Voucher.objects.create(code="KEEP", kind="fixed", value=Decimal("5"))
    url = reverse("admin:orders_voucher_change", args=[voucher.pk])
    response = admin_client.post(url, voucher_data(code="keep", kind="fixed", value="7.50"))
    assert response.status_code == 302
    voucher.refresh_from_db()
    assert (voucher.code, voucher.value) == ("KEEP", Decimal("7.50"))


def test_a_use_between_the_form_check_and_the_save_is_caught_by_the_service(admin_client,
                                                                           monkeypatch):
    """The form's check is an early word; the rule is update_voucher's, under the row lock:
    a use landing after the form was validated still keeps the limit from dropping below
    the uses, and nothing is written."""
    from orders.admin import VoucherForm

    voucher = Voucher.objects.create(code="LATE", kind="percentage", value=Decimal("10"),
                                     usage_limit=10, used_count=3)
    clean = VoucherForm.clean

    def an_order_uses_it_after_the_check(form):
        cleaned = clean(form)
        Voucher.objects.filter(pk=voucher.pk).update(used_count=F("used_count") + 1)
        return cleaned

    monkeypatch.setattr(VoucherForm, "clean", an_order_uses_it_after_the_check)
    url = reverse("admin:orders_voucher_change", args=[voucher.pk])
    response = admin_client.post(url, voucher_data(code="LATE", value="20", usage_limit="3"),
                                 follow=True)
    assert "already been used 4 times" in response.content.decode()
    voucher.refresh_from_db()
    # Nothing of the edit is written (the simulated use ran inside the refused request's
    # transaction, so it is rolled back with it).
    assert (voucher.value, voucher.usage_limit) == (Decimal("10"), 10)
