"""Printed documents of inventory, drawn with ReportLab: the purchase order a supplier
receives. Pure functions of their inputs; no database writes."""

from __future__ import annotations

import io

from django.conf import settings
from reportlab.lib.pagesizes import letter
from reportlab.lib.units import inch
from reportlab.pdfgen import canvas

from kernel.money import quantize


def _warehouse_lines(warehouse) -> list[str]:
    return [line for line in (warehouse.name, warehouse.address_line1, warehouse.address_line2,
                              f"{warehouse.city} {warehouse.postal_code}".strip(),
                              warehouse.country_code) if line]


def purchase_order_pdf(purchase_order, lines) -> bytes:
    """A one-or-more page purchase order: buyer, supplier, deliver-to, expected date, and
    per line SKU, supplier SKU, item, quantity, unit cost and line total. ``lines`` may
    carry a ``supplier_sku`` attribute (the supplier's own code)."""
    buffer = io.BytesIO()
    page = canvas.Canvas(buffer, pagesize=letter)
    page.setTitle(f"Purchase order {purchase_order.number}")
    width, height = letter
    margin = 0.75 * inch
    y = height - margin
    page.setFont("Helvetica-Bold", 18)
    page.drawString(margin, y, f"Purchase order {purchase_order.number}")
    page.setFont("Helvetica", 10)
    page.drawRightString(width - margin, y, settings.SHOP_LEGAL_NAME)
    y -= 16
    page.drawRightString(width - margin, y, settings.SHOP_ADDRESS[:80])
    y -= 28
    page.setFont("Helvetica-Bold", 10)
    page.drawString(margin, y, "Supplier")
    page.drawString(width / 2, y, "Deliver to")
    page.setFont("Helvetica", 10)
    supplier = [purchase_order.supplier.name, purchase_order.supplier.contact_email]
    deliver = _warehouse_lines(purchase_order.warehouse)
    for index in range(max(len(supplier), len(deliver))):
        y -= 14
        if index < len(supplier):
            page.drawString(margin, y, supplier[index][:45])
        if index < len(deliver):
            page.drawString(width / 2, y, deliver[index][:45])
    y -= 24
    expected = (f"{purchase_order.expected_on:%B %d, %Y}" if purchase_order.expected_on
                else "as soon as possible")
    page.drawString(margin, y, f"Please deliver by {expected}. Currency: "
                               f"{purchase_order.currency}. Quote {purchase_order.number} on "
                               f"the delivery note.")
    y -= 28
    columns = [margin, margin + 1.3 * inch, margin + 2.6 * inch, width - margin - 2.4 * inch,
               width - margin - 1.3 * inch, width - margin]

    def header(y):
        page.setFont("Helvetica-Bold", 9)
        for x, title in zip(columns[:3], ("SKU", "Supplier SKU", "Item"), strict=True):
            page.drawString(x, y, title)
        page.drawRightString(columns[3] + 0.6 * inch, y, "Qty")
        page.drawRightString(columns[4] + 0.4 * inch, y, "Unit cost")
        page.drawRightString(columns[5], y, "Total")
        page.line(margin, y - 4, width - margin, y - 4)
        page.setFont("Helvetica", 9)
        return y - 18

    y = header(y)
    grand_total = 0
    for line in lines:
        if y < margin + 40:
            page.showPage()
            y = header(height - margin)
        total = quantize(line.unit_cost * line.quantity_ordered, purchase_order.currency)
        grand_total += total
        page.drawString(columns[0], y, line.variant.sku[:18])
        page.drawString(columns[1], y, (getattr(line, "supplier_sku", "") or "")[:18])
        page.drawString(columns[2], y, str(line.variant)[:40])
        page.drawRightString(columns[3] + 0.6 * inch, y, str(line.quantity_ordered))
        page.drawRightString(columns[4] + 0.4 * inch, y, f"{line.unit_cost:.2f}")
        page.drawRightString(columns[5], y, f"{total:.2f}")
        y -= 15
    page.line(margin, y + 8, width - margin, y + 8)
    page.setFont("Helvetica-Bold", 10)
    page.drawRightString(columns[5], y - 6, f"Total {grand_total:.2f} {purchase_order.currency}")
    if purchase_order.note:
        page.setFont("Helvetica", 9)
        page.drawString(margin, y - 30, purchase_order.note[:110])
    page.showPage()
    page.save()
    return buffer.getvalue()
