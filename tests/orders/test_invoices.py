import io

import pypdfium2
import pytest
from django.urls import reverse

from kernel.errors import InvalidTransition
from orders import services
from orders.links import guest_order_signature
from orders.models import Invoice
from payments import services as payment_services
from tests.factories import ProductFactory, UserFactory, make_variant, ready_cart

pytestmark = pytest.mark.django_db
CARD = {"number": "4242424242424242", "exp_month": "12", "exp_year": "2030", "cvc": "123"}


def order(user=None, pay=True, email="inv@example.com"):
    variant = make_variant(ProductFactory(title="Kettle"), price="45.00", stock=10)
    placed = services.place_order(cart=ready_cart(variants={variant: 1}, user=user,
                                                  email=email), user=user)
    if pay:
        payment_services.start_payment(order=placed, payment_data=CARD)
    return placed


def pdf_text(content: bytes) -> str:
    return pypdfium2.PdfDocument(io.BytesIO(content))[0].get_textpage().get_text_range()


def test_invoices_are_numbered_in_sequence_once_per_order():
    first, second = order(), order(email="b@example.com")
    a = services.issue_invoice(order_id=first.pk)
    b = services.issue_invoice(order_id=second.pk)
    assert (a.number, b.number) == ("INV-000001", "INV-000002")
    assert services.issue_invoice(order_id=first.pk).pk == a.pk
    with pytest.raises(InvalidTransition):
        services.issue_invoice(order_id=order(pay=False, email="c@example.com").pk)
    assert Invoice.objects.count() == 2


def test_customer_and_guest_download_their_invoice_only(client):
    user = UserFactory()
    mine = order(user=user, email=user.email)
    client.force_login(user)
    response = client.get(reverse("account:order_invoice", args=[mine.number]))
    assert response["Content-Type"] == "application/pdf"
    text = pdf_text(response.content)
    assert "INV-000001" in text and "Kettle" in text and mine.number in text
    page = client.get(reverse("account:order", args=[mine.number]))
    assert b"Download the invoice" in page.content
    guest = order(email="guest@example.com")
    assert client.get(reverse("account:order_invoice", args=[guest.number])).status_code == 404
    client.logout()
    signature = guest_order_signature(guest)
    assert client.get(reverse("account:guest_invoice", args=[signature])).status_code == 200
    assert client.get(reverse("account:guest_invoice", args=["forged"])).status_code == 404
    unpaid = order(pay=False, email="u@example.com")
    link = reverse("account:guest_invoice", args=[guest_order_signature(unpaid)])
    assert client.get(link).status_code == 404


def test_staff_download_from_admin(client):
    placed = order()
    client.force_login(UserFactory(username="admin", is_staff=True, is_superuser=True))
    response = client.get(reverse("admin:orders_order_invoice", args=[placed.pk]))
    assert response.status_code == 200 and response.content.startswith(b"%PDF")


def test_a_missing_sequence_row_is_made_by_the_first_invoice():
    from orders.models import InvoiceSequence

    InvoiceSequence.objects.all().delete()
    assert services.issue_invoice(order_id=order().pk).number == "INV-000001"
