"""Purchase orders: draft -> sent (PDF emailed once) -> partially received -> received;
each receipt a ledger line with the PO as reference, the cost price a weighted average,
and bad input refused with nothing written."""

from decimal import Decimal

import pytest
from django.core import mail

from inventory import services
from inventory.exceptions import StockError
from inventory.models import (
    PurchaseOrder,
    PurchaseOrderEvent,
    StockLevel,
    StockMovement,
)
from kernel.errors import InvalidTransition
from tests.factories import ProductFactory, UserFactory, make_variant

from .conftest import assert_ledger_ok

pytestmark = pytest.mark.django_db
Status = PurchaseOrder.Status


def draft(supplier, warehouse, *lines, **kwargs):
    return services.create_purchase_order(
        supplier_id=supplier.pk, warehouse_id=warehouse.pk,
        lines=[services.LineRequest(variant_id=variant.pk, quantity=quantity,
                                    unit_cost=cost) for variant, quantity, cost in lines],
        **kwargs)


@pytest.fixture
def sent(supplier, east, lantern, priced, django_capture_on_commit_callbacks):
    purchase_order = draft(supplier, east, (lantern, 10, None))
    with django_capture_on_commit_callbacks(execute=True):
        services.send_purchase_order(purchase_order_id=purchase_order.pk)
    purchase_order.refresh_from_db()
    return purchase_order


def test_a_draft_takes_the_suppliers_price_and_currency(supplier, east, lantern, priced):
    purchase_order = draft(supplier, east, (lantern, 10, None))

    line = purchase_order.lines.get()
    assert purchase_order.status == Status.DRAFT
    assert purchase_order.currency == "USD"
    assert (line.quantity_ordered, line.unit_cost) == (10, Decimal("12.00"))
    assert purchase_order.number == f"PO-{purchase_order.pk:05d}"
    assert purchase_order.events.get().type == PurchaseOrderEvent.Type.DRAFTED


def test_sending_emails_the_pdf_to_the_supplier_once_and_sets_the_expected_date(
        sent, django_capture_on_commit_callbacks):
    assert sent.status == Status.SENT
    assert sent.expected_on is not None and sent.emailed_at is not None
    assert (sent.expected_on - sent.sent_at.date()).days == 5  # the supplier's lead time
    assert len(mail.outbox) == 1
    email = mail.outbox[0]
    assert email.to == ["orders@acme.example"]
    assert sent.number in email.subject
    name, content, mimetype = email.attachments[0]
    assert (name, mimetype) == (f"{sent.number}.pdf", "application/pdf")
    assert content.startswith(b"%PDF")

    assert services.email_purchase_order(purchase_order_id=sent.pk) is False  # a rerun
    assert len(mail.outbox) == 1


def test_a_partial_receipt_writes_a_movement_with_the_po_as_reference(sent, lantern, east):
    clerk = UserFactory()

    receipt = services.receive_purchase_order(purchase_order_id=sent.pk,
                                              quantities={lantern.pk: 4}, user=clerk)

    sent.refresh_from_db()
    assert sent.status == Status.PARTIALLY_RECEIVED
    (movement,) = receipt.movements
    assert (movement.kind, movement.quantity, movement.reference, movement.user) == (
        StockMovement.Kind.RECEIPT, 4, sent.number, clerk)
    assert StockLevel.objects.get(variant=lantern, warehouse=east).on_hand == 4
    assert sent.lines.get().quantity_received == 4
    assert_ledger_ok()

    services.receive_purchase_order(purchase_order_id=sent.pk, quantities={lantern.pk: 6})

    sent.refresh_from_db()
    assert sent.status == Status.RECEIVED and sent.closed_at is not None
    assert StockLevel.objects.get(variant=lantern, warehouse=east).on_hand == 10
    assert StockMovement.objects.filter(reference=sent.number).count() == 2
    assert_ledger_ok()


def test_the_cost_price_moves_to_the_weighted_average_of_what_is_on_hand(
        supplier, east, lantern, priced, sent):
    # 10 units already on hand at 9.00 each; 10 arrive at 12.00: the average is 10.50.
    services.receive_stock(variant=lantern, warehouse=east, quantity=10)
    lantern.cost_price = Decimal("9.00")
    lantern.save(update_fields=["cost_price"])

    services.receive_purchase_order(purchase_order_id=sent.pk, quantities={lantern.pk: 10})

    lantern.refresh_from_db()
    assert lantern.cost_price == Decimal("10.50")


def test_a_variant_with_no_cost_takes_the_receipts_cost(sent, lantern):
    services.receive_purchase_order(purchase_order_id=sent.pk, quantities={lantern.pk: 2})

    lantern.refresh_from_db()
    assert lantern.cost_price == Decimal("12.00")


def test_receiving_more_than_ordered_needs_the_over_receipt_flag_and_is_recorded(
        sent, lantern, east):
    with pytest.raises(StockError, match="12 received of 10 ordered"):
        services.receive_purchase_order(purchase_order_id=sent.pk, quantities={lantern.pk: 12})

    assert not StockMovement.objects.filter(reference=sent.number).exists()
    sent.refresh_from_db()
    assert sent.status == Status.SENT and sent.lines.get().quantity_received == 0

    receipt = services.receive_purchase_order(purchase_order_id=sent.pk,
                                              quantities={lantern.pk: 12},
                                              allow_over_receipt=True)

    assert receipt.over_received == {"LANTERN-1": 2}
    over = sent.events.get(type=PurchaseOrderEvent.Type.OVER_RECEIVED)
    assert over.data == {"sku": "LANTERN-1", "units": 2}
    sent.refresh_from_db()
    assert sent.status == Status.RECEIVED
    assert StockLevel.objects.get(variant=lantern, warehouse=east).on_hand == 12
    assert_ledger_ok()


@pytest.mark.parametrize("quantity, message", [
    (-3, "cannot be negative"), ("4", "whole number"), (2.5, "whole number"),
    (0, "at least one quantity"),
])
def test_bad_receipt_quantities_are_refused_and_write_nothing(sent, lantern, quantity, message):
    with pytest.raises(StockError, match=message):
        services.receive_purchase_order(purchase_order_id=sent.pk,
                                        quantities={lantern.pk: quantity})

    assert not StockMovement.objects.exists()
    sent.refresh_from_db()
    assert sent.status == Status.SENT
    assert sent.lines.get().quantity_received == 0
    lantern.refresh_from_db()
    assert lantern.cost_price is None


def test_a_variant_not_on_the_order_is_refused_and_nothing_is_written(sent, lantern):
    other = make_variant(ProductFactory(), sku="TENT-1")

    with pytest.raises(StockError, match="Not on .*TENT-1"):
        services.receive_purchase_order(purchase_order_id=sent.pk,
                                        quantities={lantern.pk: 3, other.pk: 1})

    assert not StockMovement.objects.exists()


def test_a_draft_cannot_be_received_and_a_received_order_cannot_be_canceled(
        supplier, east, lantern, priced, sent):
    unsent = draft(supplier, east, (lantern, 1, None))
    with pytest.raises(StockError, match="is a draft"):
        services.receive_purchase_order(purchase_order_id=unsent.pk,
                                        quantities={lantern.pk: 1})

    services.receive_purchase_order(purchase_order_id=sent.pk, quantities={lantern.pk: 10})
    with pytest.raises(InvalidTransition, match="received; it cannot become canceled"):
        services.cancel_purchase_order(purchase_order_id=sent.pk)


def test_closing_short_records_the_under_receipt(sent, lantern):
    services.receive_purchase_order(purchase_order_id=sent.pk, quantities={lantern.pk: 7})

    services.close_purchase_order(purchase_order_id=sent.pk, reason="Supplier out of stock")

    sent.refresh_from_db()
    assert sent.status == Status.RECEIVED
    under = sent.events.get(type=PurchaseOrderEvent.Type.UNDER_RECEIVED)
    assert under.data == {"sku": "LANTERN-1", "units": 3}
    assert "3 of 10 never arrived" in under.message


@pytest.mark.parametrize("lines, message", [
    ([], "at least one line"),
    (["dup"], "once on a purchase order"),
    ([("lantern", 0, None)], "above zero"),
    ([("lantern", -2, None)], "cannot be negative"),
    ([("lantern", 2, Decimal("-1"))], "cost cannot be negative"),
    ([("unpriced", 2, None)], "has no price for UNPRICED-1"),
])
def test_a_bad_draft_is_refused_and_writes_nothing(supplier, east, lantern, priced, lines,
                                                   message):
    unpriced = make_variant(ProductFactory(), sku="UNPRICED-1")
    named = {"lantern": lantern, "unpriced": unpriced}
    if lines == ["dup"]:
        lines = [("lantern", 1, None), ("lantern", 2, None)]
    requested = [(named[name], quantity, cost) for name, quantity, cost in lines]

    with pytest.raises(StockError, match=message):
        draft(supplier, east, *requested)

    assert not PurchaseOrder.objects.exists()


def test_a_foreign_currency_order_leaves_the_cost_price_alone(supplier, east, lantern, priced):
    supplier.currency = "EUR"
    supplier.save()
    purchase_order = draft(supplier, east, (lantern, 5, None))
    services.send_purchase_order(purchase_order_id=purchase_order.pk)

    services.receive_purchase_order(purchase_order_id=purchase_order.pk,
                                    quantities={lantern.pk: 5})

    lantern.refresh_from_db()
    assert lantern.cost_price is None
    assert StockLevel.objects.get(variant=lantern, warehouse=east).on_hand == 5


def test_a_scan_finds_the_line_by_barcode_or_sku(sent):
    assert services.purchase_order_line_for_code(purchase_order=sent,
                                                 code="0123456789012").variant.sku == "LANTERN-1"
    assert services.purchase_order_line_for_code(purchase_order=sent,
                                                 code="lantern-1") is not None
    assert services.purchase_order_line_for_code(purchase_order=sent, code="NOPE") is None
