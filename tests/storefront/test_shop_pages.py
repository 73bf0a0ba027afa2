"""The footer's pages (contact, shipping, returns, privacy, terms): seeded, edited by staff in
the admin, linked from every page without a query; emails come from the shop's name."""

from email.utils import parseaddr

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from shop.storefront import pages
from shop.storefront.models import Page

pytestmark = pytest.mark.django_db

SLUGS = ["contact", "shipping", "returns", "privacy", "terms"]


def test_the_migration_seeds_the_pages_a_shopper_looks_for():
    assert list(Page.objects.values_list("slug", flat=True)) == SLUGS
    assert all(page.body and page.is_published and page.in_footer
               for page in Page.objects.all())


def test_every_page_links_them_from_the_footer_and_each_opens(client, settings):
    html = client.get(reverse("storefront:home")).content.decode()
    footer = html[html.index('<footer class="site-footer">'):]
    # The "contact" page (phone, post) is linked from the contact form's page, which the
    # footer's one "Contact us" opens (tests/storefront/test_footer_contact.py).
    contact_form = client.get(reverse("storefront:contact")).content.decode()
    assert '<a href="/pages/contact/"' in contact_form
    assert f'<a href="{reverse("storefront:contact")}">Contact us</a>' in footer
    for slug, label in [("contact", None), ("shipping", "Shipping"),
                        ("returns", "Returns"), ("privacy", "Privacy"), ("terms", "Terms")]:
        if label:
            assert f'<a href="/pages/{slug}/">{label}</a>' in footer
        page = client.get(f"/pages/{slug}/")
        assert page.status_code == 200
        assert f"<h1 id=\"page-title\">{Page.objects.get(slug=slug).title}</h1>" in \
            page.content.decode()
    returns = client.get("/pages/returns/").content.decode()
    assert f"within {settings.SHOP_RETURN_WINDOW_DAYS} days" in returns


def test_an_unpublished_or_unknown_page_is_a_404(client):
    terms = Page.objects.get(slug="terms")
    terms.is_published = False
    pages.save_page(page=terms)
    assert client.get("/pages/terms/").status_code == 404
    assert client.get("/pages/nope/").status_code == 404


def test_page_text_is_escaped_and_links_are_made(client):
    contact = Page.objects.get(slug="contact")
    contact.body = "Write to help@example.com\n\n<script>alert(1)</script>"
    pages.save_page(page=contact)
    html = client.get("/pages/contact/").content.decode()
    assert '<a href="mailto:help@example.com">help@example.com</a>' in html
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;" in html


def test_staff_edit_a_page_in_the_admin_and_the_footer_follows_without_a_query(
        client, django_capture_on_commit_callbacks):
    staff = get_user_model().objects.create_superuser("boss", "boss@example.com", "pw-secret-1")
    client.force_login(staff)
    shipping = Page.objects.get(slug="shipping")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("admin:storefront_page_change", args=[shipping.pk]), {
            "title": "Delivery", "slug": "shipping", "footer_label": "Delivery",
            "body": "Parcels leave within a day.", "in_footer": "on", "is_published": "on",
            "position": "1"})
    assert response.status_code == 302, response.content[:2000]
    client.logout()
    with CaptureQueriesContext(connection) as queries:
        links = pages.footer_links()
    assert len(queries) == 0
    assert ("shipping", "Delivery") in links
    html = client.get(reverse("storefront:home")).content.decode()
    assert '<a href="/pages/shipping/">Delivery</a>' in html
    assert "Parcels leave within a day." in client.get("/pages/shipping/").content.decode()


def test_seeding_again_keeps_staffs_edits():
    contact = Page.objects.get(slug="contact")
    contact.body = "Call Maria."
    pages.save_page(page=contact)
    Page.objects.filter(slug="terms").delete()
    assert pages.seed_pages() == 1
    assert Page.objects.get(slug="contact").body == "Call Maria."
    assert Page.objects.filter(slug="terms").exists()


def test_emails_come_from_the_shops_name(settings):
    assert parseaddr(settings.DEFAULT_FROM_EMAIL)[0] == settings.SHOP_NAME


def test_the_password_reset_subject_names_the_shop_not_the_host(client, settings):
    get_user_model().objects.create_user("grace", "grace@example.com", "pw-secret-1")
    client.post(reverse("account:password_reset"), {"email": "grace@example.com"})
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.subject == f"Reset your {settings.SHOP_NAME} password"
    assert "testserver" not in message.subject
    assert f"the {settings.SHOP_NAME} account" in message.body
    assert parseaddr(message.from_email)[0] == settings.SHOP_NAME
