"""PDF documents drawn with ReportLab: 4x6 inch shipping labels with a Code 128 barcode,
packing slips and pick lists. Pure functions of their inputs; no database writes."""

from __future__ import annotations

import io

from django.conf import settings
from reportlab.graphics.barcode import code128
from reportlab.lib.pagesizes import letter
from reportlab.lib.units import inch, mm
from reportlab.pdfgen import canvas

LABEL_SIZE = (4 * inch, 6 * inch)


def _address_lines(address) -> list[str]:
    return address.lines() if address is not None else []


def shipping_label_pdf(*, shipment, tracking_number: str, service: str,
                       weight_grams: int) -> bytes:
    """An outbound parcel's label: from the shipment's warehouse to the order's address."""
    warehouse = shipment.warehouse
    return label_pdf(
        sender=[settings.SHOP_NAME, *warehouse_lines(warehouse)],
        recipient=_address_lines(shipment.order.shipping_address),
        tracking_number=tracking_number, service=service,
        footer=[f"Order {shipment.order.number} · Shipment {shipment.number}",
                f"Weight {weight_grams / 1000:.2f} kg"])


def warehouse_lines(warehouse) -> list[str]:
    return [line for line in (warehouse.name, warehouse.address_line1, warehouse.address_line2,
                              f"{warehouse.city} {warehouse.postal_code}".strip(),
                              warehouse.country_code) if line]


def label_pdf(*, sender: list[str], recipient: list[str], tracking_number: str, service: str,
              footer: list[str]) -> bytes:
    """A 4x6 inch label: sender, recipient in large type, a Code 128 barcode of the tracking
    number with the number printed under it, and footer lines (references, weight)."""
    buffer = io.BytesIO()
    page = canvas.Canvas(buffer, pagesize=LABEL_SIZE)
    page.setTitle(f"Label {tracking_number}")
    width, height = LABEL_SIZE
    margin = 0.2 * inch
    # Sender
    page.setFont("Helvetica-Bold", 8)
    page.drawString(margin, height - margin - 8, "FROM")
    page.setFont("Helvetica", 8)
    y = height - margin - 18
    for line in filter(None, sender):
        page.drawString(margin, y, line[:60])
        y -= 10
    page.setFont("Helvetica-Bold", 20)
    page.drawRightString(width - margin, height - margin - 20, service.upper())
    page.line(margin, y - 4, width - margin, y - 4)
    # Recipient
    y -= 20
    page.setFont("Helvetica-Bold", 9)
    page.drawString(margin, y, "SHIP TO")
    y -= 16
    page.setFont("Helvetica-Bold", 13)
    for line in recipient:
        page.drawString(margin + 6, y, line[:40])
        y -= 16
    page.line(margin, y - 2, width - margin, y - 2)
    # Barcode of the tracking number
    barcode = code128.Code128(tracking_number, barHeight=1.1 * inch, barWidth=1.35,
                              humanReadable=False)
    x = (width - barcode.width) / 2
    barcode.drawOn(page, x, 1.3 * inch)
    page.setFont("Courier-Bold", 14)
    page.drawCentredString(width / 2, 1.05 * inch, tracking_number)
    page.setFont("Helvetica", 8)
    y = 0.6 * inch
    for line in footer:
        page.drawString(margin, y, line)
        y -= 0.15 * inch
    page.showPage()
    page.save()
    return buffer.getvalue()


def _table(page, rows: list[list[str]], widths: list[float], x: float, y: float,
           *, header: bool = True) -> float:
    for index, row in enumerate(rows):
        page.setFont("Helvetica-Bold" if header and index == 0 else "Helvetica", 9)
        cx = x
        for cell, cell_width in zip(row, widths, strict=True):
            page.drawString(cx, y, str(cell)[: int(cell_width / 4.8)])
            cx += cell_width
        y -= 14
        if y < 60:
            page.showPage()
            y = letter[1] - 60
    return y


def packing_slip_pdf(*, shipment) -> bytes:
    buffer = io.BytesIO()
    page = canvas.Canvas(buffer, pagesize=letter)
    page.setTitle(f"Packing slip {shipment.number}")
    width, height = letter
    page.setFont("Helvetica-Bold", 16)
    page.drawString(20 * mm, height - 25 * mm, f"{settings.SHOP_NAME}: packing slip")
    page.setFont("Helvetica", 10)
    page.drawString(20 * mm, height - 32 * mm,
                    f"Order {shipment.order.number} · Shipment {shipment.number} · "
                    f"from {shipment.warehouse.name}")
    y = height - 45 * mm
    page.setFont("Helvetica-Bold", 10)
    page.drawString(20 * mm, y, "Ship to")
    page.setFont("Helvetica", 10)
    for line in _address_lines(shipment.order.shipping_address):
        y -= 13
        page.drawString(20 * mm, y, line)
    y -= 25
    rows = [["SKU", "Item", "Qty"]] + [
        [line.order_line.sku, line.order_line.description, str(line.quantity)]
        for line in shipment.lines.all()]
    y = _table(page, rows, [40 * mm, 110 * mm, 20 * mm], 20 * mm, y)
    page.setFont("Helvetica", 9)
    page.drawString(20 * mm, max(y - 20, 40), "Thank you for your order. Questions? Reply to "
                                              "your confirmation email.")
    page.showPage()
    page.save()
    return buffer.getvalue()


def pick_list_pdf(*, pick_list, rows) -> bytes:
    buffer = io.BytesIO()
    page = canvas.Canvas(buffer, pagesize=letter)
    page.setTitle(f"Pick list {pick_list.pk}")
    width, height = letter
    page.setFont("Helvetica-Bold", 16)
    page.drawString(20 * mm, height - 25 * mm, f"Pick list {pick_list.pk} · "
                                               f"{pick_list.warehouse.name}")
    page.setFont("Helvetica", 10)
    page.drawString(20 * mm, height - 32 * mm,
                    f"{pick_list.created_at:%Y-%m-%d %H:%M} UTC · "
                    f"{len({s for row in rows for s in row.shipments})} shipments")
    table = [["Bin", "SKU", "Item", "Qty", "Shipments"]] + [
        [row.bin_location or "—", row.sku, row.name, str(row.quantity),
         ", ".join(row.shipments)] for row in rows]
    _table(page, table, [25 * mm, 35 * mm, 70 * mm, 15 * mm, 40 * mm], 20 * mm,
           height - 45 * mm)
    page.showPage()
    page.save()
    return buffer.getvalue()
