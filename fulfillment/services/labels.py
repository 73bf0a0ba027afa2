"""Labels: buying the shipment's one label (claimed and committed before the carrier is
called, outside any transaction) and voiding a canceled shipment's label."""

from __future__ import annotations

import uuid
from datetime import timedelta

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from orders import services as order_services
from orders.models import OrderEvent

from .. import signals
from ..carriers import Parcel, get_carrier
from ..locks import shipment_for_update
from ..models import LabelPurchase, Shipment
from .shipments import order_for_fulfillment, send_after_commit

State = Shipment.State
LABEL_CLAIM_TIMEOUT = timedelta(minutes=5)


def purchase_label(*, shipment_id: int) -> Shipment:
    """Buy the shipment's one label. Safe to run twice or twice at once: the purchase row is
    unique per shipment and claimed under the shipment's lock; a second caller finds it
    claimed (or done) and leaves. A claim older than LABEL_CLAIM_TIMEOUT (a worker that died
    mid-call) is taken over with the same idempotency key."""
    with transaction.atomic():
        shipment = shipment_for_update(shipment_id)
        if shipment.state != State.PACKED or shipment.is_pickup:
            return shipment
        # No label for an order being canceled. One bought while the cancel was requested
        # (the carrier was already selling it) is recorded below as usual: the cancel then
        # cancels the shipment, and a canceled shipment's label is given back (void_label).
        order_for_fulfillment(shipment, "labelled")
        now = timezone.now()
        purchase, created = LabelPurchase.objects.select_for_update().get_or_create(
            shipment=shipment,
            defaults={"carrier": shipment.carrier, "claimed_at": now,
                      "idempotency_key": f"label:{shipment.number}:{uuid.uuid4().hex[:8]}"})
        if purchase.outcome == LabelPurchase.Outcome.SUCCEEDED:
            return shipment
        if (not created and purchase.outcome == LabelPurchase.Outcome.IN_FLIGHT
                and now - purchase.claimed_at < LABEL_CLAIM_TIMEOUT):
            return shipment  # another worker is buying it right now
        purchase.attempts += 1
        purchase.outcome = LabelPurchase.Outcome.IN_FLIGHT
        purchase.claimed_at = now
        purchase.save(update_fields=["attempts", "outcome", "claimed_at"])
    parcel = Parcel(shipment.weight_grams, shipment.length_cm, shipment.width_cm,
                    shipment.height_cm)
    carrier = get_carrier(shipment.carrier)
    try:
        result = carrier.buy_label(shipment=shipment, parcel=parcel,
                                   idempotency_key=purchase.idempotency_key)
    except Exception as error:  # noqa: BLE001 - recorded, then re-raised for the task's retry
        LabelPurchase.objects.filter(pk=purchase.pk).update(
            outcome=LabelPurchase.Outcome.FAILED, error=str(error)[:300])
        raise
    with transaction.atomic():
        shipment = shipment_for_update(shipment_id)
        if not shipment.can_become(State.LABEL_PURCHASED):
            # Canceled while the carrier was selling the label: the label is paid for, so
            # it is kept on record (not on the shipment) and given back by void_label.
            LabelPurchase.objects.filter(pk=purchase.pk).update(
                outcome=LabelPurchase.Outcome.SUCCEEDED, reference=result.reference,
                completed_at=timezone.now(), error="")
            if shipment.state == State.CANCELED:
                send_after_commit(signals.label_void_needed, shipment)
            refused = shipment
        else:
            refused = None
    if refused is not None:
        refused.ensure_can_become(State.LABEL_PURCHASED)  # raises: says why
    with transaction.atomic():
        shipment = shipment_for_update(shipment_id)
        shipment.ensure_can_become(State.LABEL_PURCHASED)
        shipment.tracking_number = result.tracking_number
        shipment.service = result.service
        shipment.label_cost = result.cost
        shipment.label.save("label.pdf", ContentFile(result.pdf), save=False)  # name: uuid
        shipment.state = State.LABEL_PURCHASED
        shipment.save()
        LabelPurchase.objects.filter(pk=purchase.pk).update(
            outcome=LabelPurchase.Outcome.SUCCEEDED, reference=result.reference,
            completed_at=timezone.now(), error="")
        order_services.record_order_event(
            order_id=shipment.order_id, event_type=OrderEvent.Type.NOTE,
            message=f"Label bought for {shipment.number}: {shipment.get_carrier_display()} "
                    f"{result.tracking_number}.")
        return shipment


def void_label(*, shipment_id: int) -> bool:
    """Cancel a canceled shipment's label at the carrier, once (outside any transaction)."""
    purchase = LabelPurchase.objects.filter(
        shipment_id=shipment_id, shipment__state=State.CANCELED,
        outcome=LabelPurchase.Outcome.SUCCEEDED, voided_at__isnull=True).first()
    if purchase is None:
        return False
    get_carrier(purchase.carrier).void_label(reference=purchase.reference)
    LabelPurchase.objects.filter(pk=purchase.pk, voided_at__isnull=True).update(
        voided_at=timezone.now())
    return True
