"""Returns in admin: a clerk's path from approval to refund, exchanges, every refusal as a
message with nothing written, the roles, and fixed query counts for the queue and a return."""

from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from fulfillment import services as fulfillment_services
from inventory.models import StockLevel, StockMovement
from inventory.services import adjust_stock_count
from orders import services as order_services
from orders.models import Order
from payments import services as payment_services
from payments.models import GatewayCall, Payment
from returns import services
from returns.models import ReturnRequest
from returns.services import RequestedLine
from tests.factories import ProductFactory, UserFactory, make_variant, ready_cart

from .conftest import CARD, ask, deliver, inspect_all

# Transactional: the services' after-commit work (labels, emails, restocking, refunds, the
# exchange's shipment) runs, eagerly, inside the request as a worker would run it after.
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("staff_roles")]
State = ReturnRequest.State
QUEUE = "/admin/returns/returnrequest/"


def staff_in(client, role: str):
    user = UserFactory(username=role.lower().replace(" ", "-"), is_staff=True)
    user.groups.add(Group.objects.get(name=role))
    client.force_login(user)
    return user


@pytest.fixture
def clerk(client):
    staff_in(client, "Returns clerk")
    return client


def url(name: str, rma: ReturnRequest) -> str:
    return reverse(f"admin:returns_returnrequest_{name}", args=[rma.pk])


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def level(variant, warehouse) -> StockLevel:
    return StockLevel.objects.get(variant=variant, warehouse=warehouse)


def snapshot(rma: ReturnRequest):
    """Everything a returns admin step could write about one return."""
    rma = ReturnRequest.objects.get(pk=rma.pk)
    return (rma.state, rma.method, rma.warehouse_id, rma.staff_message, rma.refund_amount,
            rma.refund_requested_at, rma.refunded_amount, rma.replacement_order_id,
            rma.events.count(),
            list(rma.lines.order_by("pk").values_list("condition", "restock", "restock_level_id",
                                                      "refund_amount")),
            GatewayCall.objects.count(), StockMovement.objects.count(), Order.objects.count(),
            len(mail.outbox))


def received(order, **kwargs) -> ReturnRequest:
    rma = ask(order, **kwargs)
    services.approve_return(return_id=rma.pk, method="drop_off")
    services.receive_return(return_id=rma.pk)
    return rma


def inspected(order, **kwargs) -> ReturnRequest:
    rma = received(order, **kwargs)
    inspect_all(rma)
    rma.refresh_from_db()
    return rma


# --- The clerk's path -----------------------------------------------------------------------


def test_a_clerk_approves_receives_by_scan_inspects_and_refunds_an_adjusted_amount(
        clerk, delivered_order, catalog, warehouse):
    order = delivered_order(shirts=2, mugs=1)
    shirts_on_hand = level(catalog["medium"], warehouse).on_hand
    rma = ask(order, quantity=1, reason="wrong_size")
    mail.outbox.clear()

    queue = clerk.get(QUEUE)
    assert queue.status_code == 200 and rma.number.encode() in queue.content
    assert b"Receive by scan" in queue.content
    page = clerk.get(url("change", rma)).content.decode()
    assert "Approve…" in page and "Reject…" in page and "Refund…" not in page

    form = clerk.get(url("approve", rma))
    assert form.status_code == 200
    assert 'value="label" selected' in form.content.decode()  # settings.SHOP_RETURN_METHOD
    assert "Default: East DC (east)" in form.content.decode()
    approved = clerk.post(url("approve", rma), {
        "method": "label", "warehouse": "", "message": "Thanks, send it within 14 days."},
        follow=True)
    rma.refresh_from_db()
    assert rma.state == State.APPROVED and rma.warehouse == warehouse
    assert rma.tracking_number and rma.label  # issued by the task after commit
    # The label task runs after the response (as a worker would): the message says so.
    assert any("approved" in m and "label is being issued" in m
               for m in messages_of(approved))
    email = [m for m in mail.outbox if rma.number in m.subject]
    assert len(email) == 1 and "Thanks, send it within 14 days." in email[0].body
    page = approved.content.decode()
    assert "Download label" in page and "Mark received" in page and "Approve…" not in page
    label = clerk.get(url("label", rma))
    assert label["Content-Type"] == "application/pdf"
    assert label.content.startswith(b"%PDF")

    scan_page = clerk.get(reverse("admin:returns_returnrequest_scan")).content.decode()
    assert 'autofocus' in scan_page and "RMA number or return tracking number" in scan_page
    scanned = clerk.post(reverse("admin:returns_returnrequest_scan"),
                         {"code": rma.tracking_number.lower()}, follow=True)
    assert any(f"{rma.number}</a> received" in m for m in messages_of(scanned))
    rma.refresh_from_db()
    assert rma.state == State.RECEIVED

    line = rma.lines.get()
    inspect_form = clerk.get(url("inspect", rma)).content.decode()
    assert f'name="line-{line.pk}-condition"' in inspect_form
    assert f'<option value="{warehouse.pk}" selected>' in inspect_form
    done = clerk.post(url("inspect", rma), {
        f"line-{line.pk}-condition": "resellable", f"line-{line.pk}-restock": "on",
        f"line-{line.pk}-warehouse": str(warehouse.pk)}, follow=True)
    rma.refresh_from_db()
    assert rma.state == State.INSPECTED
    assert any("Proposed refund" in m for m in messages_of(done))
    assert level(catalog["medium"], warehouse).on_hand == shirts_on_hand + 1
    assert StockMovement.objects.get(reference=rma.number).quantity == 1

    refund_page = clerk.get(url("refund", rma)).content.decode()
    limit = services.refundable_on_order(order)
    assert f"${limit}" in refund_page and f'value="{rma.proposed_refund}"' in refund_page
    adjusted = rma.proposed_refund - Decimal("5.00")
    refunded = clerk.post(url("refund", rma), {"amount": str(adjusted)}, follow=True)
    rma.refresh_from_db()
    assert rma.state == State.REFUNDED
    assert rma.refund_amount == rma.refunded_amount == adjusted
    assert Payment.objects.get(order=order).refunded_amount == adjusted
    assert any(f"refund of ${adjusted} is being made" in m for m in messages_of(refunded))
    assert "Refund…" not in refunded.content.decode()
    assert list(rma.events.exclude(state="").values_list("state", flat=True)) == [
        "requested", "approved", "received", "inspected", "refunded"]


def test_the_clerk_marks_a_drop_off_received_with_the_button(clerk, delivered_order):
    rma = ask(delivered_order())
    clerk.post(url("approve", rma), {"method": "drop_off", "warehouse": "", "message": ""})
    rma.refresh_from_db()
    assert rma.state == State.APPROVED and not rma.tracking_number and not rma.label
    assert clerk.get(url("receive", rma)).status_code == 405
    clerk.post(url("receive", rma))
    rma.refresh_from_db()
    assert rma.state == State.RECEIVED
    again = clerk.post(url("receive", rma), follow=True)
    assert any("cannot become received" in m for m in messages_of(again))


def test_a_clerk_rejects_with_a_message_to_the_shopper(clerk, delivered_order):
    rma = ask(delivered_order())
    mail.outbox.clear()
    rejected = clerk.post(url("reject", rma), {"message": "Worn and washed."}, follow=True)
    rma.refresh_from_db()
    assert rma.state == State.REJECTED and rma.staff_message == "Worn and washed."
    assert any("rejected" in m for m in messages_of(rejected))
    assert "Worn and washed." in mail.outbox[-1].body
    assert "Reject…" not in rejected.content.decode()


def test_an_exchange_order_is_created_from_the_button(clerk, delivered_order, catalog):
    order = delivered_order(shirts=1, mugs=0)
    rma = inspected(order, resolution="exchange", exchange=catalog["large"])
    page = clerk.get(url("change", rma)).content.decode()
    assert "Create exchange order" in page and "Refund…" in page
    done = clerk.post(url("exchange", rma), follow=True)
    rma.refresh_from_db()
    assert rma.state == State.EXCHANGED and rma.replacement_order.replaces == order
    assert any("exchange order" in m and rma.replacement_order.number in m
               for m in messages_of(done))
    assert rma.replacement_order.lines.get().sku == "SHIRT-L"


def test_an_exchange_out_of_stock_is_a_message_and_the_refund_stays_available(
        clerk, delivered_order, catalog, warehouse):
    order = delivered_order(shirts=1, mugs=0)
    rma = inspected(order, resolution="exchange", exchange=catalog["large"])
    adjust_stock_count(variant=catalog["large"], warehouse=warehouse, counted=0,
                       reason="cycle count")
    before = snapshot(rma)
    refused = clerk.post(url("exchange", rma), follow=True)
    assert refused.redirect_chain[-1][0] == url("change", rma)
    assert any("Refund RMA-" in m for m in messages_of(refused))
    assert snapshot(rma) == before
    assert "Refund…" in refused.content.decode()
    clerk.post(url("refund", rma), {"amount": str(rma.proposed_refund)})
    rma.refresh_from_db()
    assert rma.state == State.REFUNDED


# --- Refusals: a message, a 4xx or a redirect, nothing written ------------------------------


@pytest.mark.parametrize(("amount", "words"), [
    ("twelve", "Enter the refund as an amount"),
    ("99999.00", "can be refunded on order"),
    ("0", "above zero"),
    ("1.005", "whole USD cents"),
])
def test_a_refund_amount_the_service_refuses_is_a_400_and_refunds_nothing(
        clerk, delivered_order, amount, words):
    rma = inspected(delivered_order())
    before = snapshot(rma)
    response = clerk.post(url("refund", rma), {"amount": amount})
    assert response.status_code == 400
    assert any(words in m for m in messages_of(response))
    assert snapshot(rma) == before


def test_an_inspection_with_a_missing_condition_is_a_400_and_inspects_nothing(
        clerk, delivered_order):
    order = delivered_order(shirts=2, mugs=1)
    rma = services.request_return(order_id=order.pk, resolution="refund", lines=[
        RequestedLine(order_line_id=line.pk, quantity=1, reason="changed_mind")
        for line in order.lines.all()])
    services.approve_return(return_id=rma.pk, method="drop_off")
    services.receive_return(return_id=rma.pk)
    first, second = rma.lines.order_by("pk")
    before = snapshot(rma)
    response = clerk.post(url("inspect", rma), {
        f"line-{first.pk}-condition": "resellable", f"line-{first.pk}-restock": "on",
        f"line-{second.pk}-condition": ""})
    assert response.status_code == 400
    assert "Choose its condition." in response.content.decode()
    assert any("Inspection incomplete" in m for m in messages_of(response))
    damaged_back = clerk.post(url("inspect", rma), {
        f"line-{first.pk}-condition": "damaged", f"line-{first.pk}-restock": "on",
        f"line-{second.pk}-condition": "missing"})
    assert damaged_back.status_code == 400
    assert "Only resellable items go back on the shelf." in damaged_back.content.decode()
    assert snapshot(rma) == before


def test_an_empty_reject_message_is_a_400_and_rejects_nothing(clerk, delivered_order):
    rma = ask(delivered_order())
    before = snapshot(rma)
    response = clerk.post(url("reject", rma), {"message": "   "})
    assert response.status_code == 400
    assert "Tell the shopper why the return is rejected." in response.content.decode()
    assert snapshot(rma) == before


@pytest.mark.parametrize(("code", "status", "words"), [
    ("RMA-999999", 404, "No return has the RMA or tracking number RMA-999999"),
    ("RMA-1\x00", 400, "Null characters are not allowed."),
    ("", 400, "This field is required."),
])
def test_a_scan_that_finds_no_return_is_a_4xx_and_receives_nothing(
        clerk, delivered_order, code, status, words):
    rma = ask(delivered_order())
    services.approve_return(return_id=rma.pk, method="drop_off")
    before = snapshot(rma)
    response = clerk.post(reverse("admin:returns_returnrequest_scan"), {"code": code})
    assert response.status_code == status
    assert words in response.content.decode()
    assert snapshot(rma) == before


def test_steps_the_state_does_not_allow_are_messages_not_500s(clerk, delivered_order):
    rma = ask(delivered_order())
    before = snapshot(rma)
    for step in ("inspect", "refund"):
        response = clerk.get(url(step, rma), follow=True)
        assert response.redirect_chain[-1][0] == url("change", rma)
        assert any("is requested" in m for m in messages_of(response))
    assert any("cannot become received" in m for m in messages_of(
        clerk.post(url("receive", rma), follow=True)))
    assert any("nothing to exchange" in m or "cannot become exchanged" in m
               for m in messages_of(clerk.post(url("exchange", rma), follow=True)))
    scanned_twice = clerk.post(reverse("admin:returns_returnrequest_scan"),
                               {"code": rma.number})
    assert scanned_twice.status_code == 409
    assert snapshot(rma) == before
    assert clerk.get(reverse("admin:returns_returnrequest_change",
                             args=[999999])).status_code in (302, 404)
    assert clerk.get("/admin/returns/returnrequest/999999/refund/").status_code == 404


def test_a_second_refund_while_one_is_being_made_is_refused(clerk, delivered_order,
                                                            monkeypatch):
    from returns import tasks

    monkeypatch.setattr(tasks.execute_refund, "delay", lambda *args: None)  # a busy worker
    rma = inspected(delivered_order())
    done = clerk.post(url("refund", rma), {"amount": str(rma.proposed_refund)}, follow=True)
    assert any("is being made" in m for m in messages_of(done))
    rma.refresh_from_db()
    assert rma.refund_requested_at is not None and rma.state == State.INSPECTED
    page = done.content.decode()
    assert "Refund…" not in page and "Being made" in page
    before = snapshot(rma)
    again = clerk.post(url("refund", rma), {"amount": "1.00"}, follow=True)
    assert any("being made" in m for m in messages_of(again))
    assert snapshot(rma) == before


def test_a_clerk_is_told_the_refund_stops_at_what_the_return_covers(clerk, delivered_order):
    order = delivered_order(shirts=2, mugs=1)
    rma = inspected(order)
    page = clerk.get(url("refund", rma)).content.decode()
    assert f"at most ${rma.covered_refund}, what this return covers" in page
    assert "Most this return refunds" in page and "goodwill refund" in page
    assert "Reason for a goodwill refund" not in page  # not this role's decision
    before = snapshot(rma)
    whole_order = services.refundable_on_order(order)
    response = clerk.post(url("refund", rma), {"amount": str(whole_order)})
    assert response.status_code == 403
    assert any(f"covers at most ${rma.covered_refund}" in m and "goodwill" in m
               for m in messages_of(response))
    assert snapshot(rma) == before


def test_a_manager_refunds_more_than_the_return_as_goodwill_with_a_reason(
        client, delivered_order):
    from django.contrib.auth.models import Permission

    manager = staff_in(client, "Returns clerk")
    manager.user_permissions.add(Permission.objects.get(codename="refund_adjustment"))
    order = delivered_order(shirts=2, mugs=1)
    rma = inspected(order)
    page = client.get(url("refund", rma)).content.decode()
    assert "Reason for a goodwill refund" in page and "say why below" in page
    amount = rma.covered_refund + Decimal("10.00")
    before = snapshot(rma)
    unexplained = client.post(url("refund", rma), {"amount": str(amount), "note": ""})
    assert unexplained.status_code == 400
    assert any("Say why you refund more" in m for m in messages_of(unexplained))
    assert snapshot(rma) == before
    done = client.post(url("refund", rma), {"amount": str(amount), "note": "Parcel was late"},
                       follow=True)
    rma.refresh_from_db()
    assert rma.state == State.REFUNDED and rma.refunded_amount == amount
    # The refund is made after the response (as a worker would): the message says so.
    assert any(f"refund of ${amount} is being made" in m for m in messages_of(done))
    goodwill = GatewayCall.objects.get(refund_reason="goodwill")
    assert goodwill.amount == Decimal("10.00") and goodwill.refund_note == "Parcel was late"
    assert goodwill.requested_by == manager


# --- Roles ----------------------------------------------------------------------------------


def test_a_picker_gets_403_on_every_return_step_and_sees_no_return_pages(
        client, delivered_order):
    rma = inspected(delivered_order())
    staff_in(client, "Picker")
    before = snapshot(rma)
    assert client.post(url("refund", rma), {"amount": "1.00"}).status_code == 403
    assert client.get(url("refund", rma)).status_code == 403
    for step in ("approve", "reject", "receive", "inspect", "exchange"):
        assert client.post(url(step, rma), {"message": "x"}).status_code == 403
    assert client.get(reverse("admin:returns_returnrequest_scan")).status_code == 403
    assert client.get(url("change", rma)).status_code == 403
    assert client.get(QUEUE).status_code == 403
    assert snapshot(rma) == before


def test_a_merchant_views_returns_but_cannot_act(client, delivered_order):
    order = delivered_order()
    requested = ask(order)
    done = inspected(order, sku="MUG")
    staff_in(client, "Merchant")
    queue = client.get(QUEUE)
    assert queue.status_code == 200 and requested.number.encode() in queue.content
    assert b"Receive by scan" not in queue.content
    for rma in (requested, done):
        page = client.get(url("change", rma)).content.decode()
        assert rma.number in page
        for button in ("Approve…", "Reject…", "Mark received", "Inspect…", "Refund…",
                       "Create exchange order", "object-tool-form"):
            assert button not in page
    before = snapshot(requested), snapshot(done)
    assert client.post(url("approve", requested), {"method": "label"}).status_code == 403
    assert client.post(url("reject", requested), {"message": "No"}).status_code == 403
    assert client.post(url("refund", done), {"amount": "1.00"}).status_code == 403
    assert client.post(reverse("admin:returns_returnrequest_scan"),
                       {"code": requested.number}).status_code == 403
    assert (snapshot(requested), snapshot(done)) == before


# --- The queue and the page -----------------------------------------------------------------


def test_the_queue_shows_open_returns_oldest_first_and_finds_them(clerk, delivered_order):
    first = delivered_order(shirts=2, mugs=0, email="first@example.com")
    second = delivered_order(shirts=2, mugs=0, email="second@example.com")
    oldest = ask(first)
    closed = ask(first)
    services.reject_return(return_id=closed.pk, message="No.")
    newest = received(second)
    content = clerk.get(QUEUE).content.decode()
    assert content.index(oldest.number) < content.index(newest.number) \
        < content.index(closed.number)
    assert first.number in content and "first@example.com" in content

    def found(**params):
        response = clerk.get(QUEUE, params)
        return {rma.number for rma in response.context["cl"].result_list}

    assert found(q=newest.number) == {newest.number}
    assert found(q=second.number) == {newest.number}
    assert found(q="first@example.com") == {oldest.number, closed.number}
    assert found(state__exact="received") == {newest.number}
    assert found(method__exact="drop_off") == {newest.number}
    labelled = ask(second)
    services.approve_return(return_id=labelled.pk)
    labelled.refresh_from_db()
    assert found(q=labelled.tracking_number) == {labelled.number}


def test_the_return_page_shows_lines_breakdown_and_timeline(clerk, delivered_order,
                                                            warehouse):
    rma = inspected(delivered_order(), reason="other", note="Too scratchy")
    page = clerk.get(url("change", rma)).content.decode()
    for text in ("SHIRT-M", "Too scratchy", "Resellable", "Restocked", str(warehouse),
                 "Items (paid price and tax)", "Proposed refund", f"${rma.items_amount}",
                 "Parcel received", "Inspected:", "Return requested"):
        assert text in page, text
    assert 'name="_save"' not in page  # a read-only record


def count_queries(client, path) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(path).status_code == 200
    return len(queries)


def test_the_queue_costs_the_same_queries_for_two_returns_and_eight(clerk, delivered_order):
    orders = [delivered_order(shirts=4, mugs=0, email=f"q{n}@example.com") for n in range(2)]
    for index in range(2):
        received(orders[index])
    count_queries(clerk, QUEUE)  # the session is warm from here on
    two = count_queries(clerk, QUEUE)
    for index in range(6):
        rma = ask(orders[index % 2])
        if index % 2:
            services.approve_return(return_id=rma.pk, method="drop_off")
    assert ReturnRequest.objects.count() == 8
    assert count_queries(clerk, QUEUE) == two


def four_line_order(catalog, warehouse):
    extra = make_variant(ProductFactory(title="Tea Towel"), price="8.00", sku="TOWEL",
                         stock=10, warehouse=warehouse)
    order = order_services.place_order(cart=ready_cart(variants={
        catalog["medium"]: 1, catalog["large"]: 1, catalog["mug"]: 1, extra: 1}))
    payment_services.start_payment(order=order, payment_data=CARD)
    fulfillment_services.create_shipments(order_id=order.pk)
    return deliver(order)


def test_the_return_page_costs_the_same_queries_for_one_line_and_four(
        clerk, delivered_order, catalog, warehouse):
    small = inspected(delivered_order(shirts=1, mugs=0))
    count_queries(clerk, url("change", small))
    one = count_queries(clerk, url("change", small))
    order = four_line_order(catalog, warehouse)
    big = services.request_return(order_id=order.pk, resolution="refund", lines=[
        RequestedLine(order_line_id=line.pk, quantity=1, reason="other", note="Note")
        for line in order.lines.all()])
    services.approve_return(return_id=big.pk, method="drop_off")
    services.receive_return(return_id=big.pk)
    inspect_all(big)
    assert big.lines.count() == 4 and big.events.count() >= small.events.count()
    assert count_queries(clerk, url("change", big)) == one
