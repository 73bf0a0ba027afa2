"""Issue 19: the footer has one way to contact the shop, "Contact us" (the contact form);
the staff's "contact" page (phone, post) is linked from the form's page instead of sitting
in the footer as a second "Contact"."""

import re

import pytest
from django.urls import reverse

from shop.storefront.pages import refresh_footer, seed_pages

pytestmark = pytest.mark.django_db


def footer(html: str) -> str:
    return html[html.index('<footer'):]


def test_the_footer_has_one_contact_link_and_the_form_page_leads_to_the_details(client):
    seed_pages()
    refresh_footer()
    html = footer(client.get("/").content.decode())
    labels = re.findall(r'<a href="[^"]*">([^<]*)</a>', html)
    assert [label for label in labels if "contact" in label.lower()] == ["Contact us"]
    assert f'href="{reverse("storefront:contact")}"' in html
    assert f'href="{reverse("storefront:page", args=["contact"])}"' not in html
    assert "Shipping" in labels and "Returns" in labels

    form_page = client.get(reverse("storefront:contact")).content.decode()
    assert f'href="{reverse("storefront:page", args=["contact"])}"' in form_page
    assert client.get(reverse("storefront:page", args=["contact"])).status_code == 200
