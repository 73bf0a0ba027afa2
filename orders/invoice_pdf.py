"""The invoice as a PDF, from the order's stored snapshot (never recomputed)."""

from __future__ import annotations

import io

from django.conf import settings
from django.http import Http404, HttpResponse
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen import canvas

from kernel.documents import pdf_download
from kernel.errors import ShopError
from kernel.money import Money


def invoice_pdf(*, invoice) -> bytes:
    order = invoice.order
    currency = order.currency
    buffer = io.BytesIO()
    page = canvas.Canvas(buffer, pagesize=A4)
    page.setTitle(f"Invoice {invoice.number}")
    width, height = A4
    left, right = 20 * mm, width - 20 * mm
    page.setFont("Helvetica-Bold", 18)
    page.drawString(left, height - 25 * mm, "Invoice")
    page.setFont("Helvetica", 10)
    page.drawRightString(right, height - 20 * mm, settings.SHOP_LEGAL_NAME)
    for index, line in enumerate(settings.SHOP_ADDRESS.split(",")):
        page.drawRightString(right, height - 25 * mm - index * 12, line.strip())
    if settings.SHOP_TAX_ID:
        page.drawRightString(right, height - 60 * mm, f"Tax ID {settings.SHOP_TAX_ID}")
    y = height - 40 * mm
    for label, value in [("Invoice number", invoice.number),
                         ("Date", f"{invoice.issued_at:%Y-%m-%d}"),
                         ("Order", order.number), ("Customer", order.email)]:
        page.drawString(left, y, f"{label}: {value}")
        y -= 13
    y -= 8
    page.setFont("Helvetica-Bold", 10)
    page.drawString(left, y, "Bill to")
    page.setFont("Helvetica", 10)
    for line in order.billing_address.lines():
        y -= 13
        page.drawString(left, y, line)
    y -= 25
    columns = [left, left + 30 * mm, left + 100 * mm, left + 115 * mm, left + 140 * mm]
    page.setFont("Helvetica-Bold", 9)
    for x, title in zip(columns, ["SKU", "Item", "Qty", "Tax rate", "Amount"], strict=True):
        page.drawString(x, y, title)
    page.setFont("Helvetica", 9)
    for line in order.lines.all():
        y -= 14
        page.drawString(columns[0], y, line.sku[:18])
        page.drawString(columns[1], y, line.description[:42])
        page.drawString(columns[2], y, str(line.quantity))
        page.drawString(columns[3], y, f"{line.tax_rate.normalize():f}%")
        page.drawString(columns[4], y, str(Money(line.total, currency)))
        if y < 50 * mm:
            page.showPage()
            y = height - 25 * mm
    y -= 24
    totals = [("Subtotal", order.subtotal), ("Discount", -order.discount_amount),
              (f"Shipping ({order.shipping_method_name})", order.shipping_amount),
              ("Tax" + (" (included)" if order.prices_include_tax else ""), order.tax_amount),
              ("Total", order.total)]
    for label, amount in totals:
        if label == "Discount" and not amount:
            continue
        page.setFont("Helvetica-Bold" if label == "Total" else "Helvetica", 10)
        page.drawString(columns[3] - 20 * mm, y, label)
        page.drawRightString(right, y, str(Money(amount, currency)))
        y -= 14
    page.setFont("Helvetica", 8)
    page.drawString(left, 15 * mm, f"{settings.SHOP_LEGAL_NAME} · {settings.SHOP_ADDRESS}")
    page.showPage()
    page.save()
    return buffer.getvalue()


def invoice_response(order) -> HttpResponse:
    """The order's invoice as a PDF response (issued on first download); 404 while the
    order is unpaid. The callers check who may see the order."""
    from .models import Invoice
    from .services import issue_invoice

    try:
        invoice = issue_invoice(order_id=order.pk)
    except ShopError as error:
        raise Http404(error.message) from error
    invoice = Invoice.objects.select_related("order__billing_address").prefetch_related(
        "order__lines").get(pk=invoice.pk)
    return pdf_download(invoice_pdf(invoice=invoice), filename=f"{invoice.number}.pdf")
