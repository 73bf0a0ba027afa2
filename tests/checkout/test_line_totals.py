"""Line amounts are on the subtotal's base (unit price × quantity), with the discount and the
tax on their own rows: cart, checkout review, order page, confirmation page and emails."""

from decimal import Decimal as D

import pytest
from django.template.loader import render_to_string
from django.urls import reverse

from orders import services
from orders.models import TaxRate, Voucher
from orders.selectors import build_checkout
from tests.factories import ProductFactory, make_variant, ready_cart

pytestmark = pytest.mark.django_db


@pytest.fixture
def discounted_and_taxed(settings):
    settings.SHOP_PRICES_INCLUDE_TAX = False
    settings.SHOP_TAX_SHIPPING = False
    TaxRate.objects.create(country="US", region="OR", rate=D("10"))
    Voucher.objects.create(code="TENOFF", kind="percentage", value=D("10"))
    variant = make_variant(ProductFactory(title="Organic Cotton Tee"), price="28.00", stock=5)
    return ready_cart(variants={variant: 2}, voucher="TENOFF")


def test_an_order_line_reads_two_times_28_is_56_everywhere(discounted_and_taxed):
    order = services.place_order(cart=discounted_and_taxed)
    line = order.lines.get()
    assert line.total == D("55.44")  # 56.00 - 5.60 discount + 5.04 tax, as stored
    for template in ("checkout/_order_recap.html", "emails/_order_html.html",
                     "emails/_order_text.txt", "account/includes/order_detail.html"):
        text = render_to_string(template, {"order": order})
        assert "$56.00" in text, template
        assert "$55.44" not in text, template
        assert "$5.60" in text and "$5.04" in text, template  # discount and tax rows
        assert order.subtotal == D("56.00")


def test_the_cart_and_review_summary_use_the_same_base(discounted_and_taxed):
    view = build_checkout(discounted_and_taxed)
    text = render_to_string("checkout/_summary.html", {"checkout": view})
    assert "$56.00" in text and "$28.00 each" in text
    assert "Discount (TENOFF)" in text and "$5.60" in text and "$5.04" in text


def test_the_cart_page_line_total_is_unit_price_times_quantity(client, discounted_and_taxed):
    session = client.session
    session["cart_id"] = discounted_and_taxed.pk
    session.save()
    html = client.get(reverse("checkout:cart")).content.decode()
    assert "$56.00" in html and "$55.44" not in html
