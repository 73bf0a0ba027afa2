"""Return background work: labels, emails, restocking, refunds. Thin, idempotent, retried on
transient errors; a beat sweep re-queues what a lost task left undone."""

from __future__ import annotations

from datetime import timedelta
from smtplib import SMTPException

from celery import shared_task
from django.db.models import Exists, OuterRef
from django.utils import timezone

from payments.exceptions import GatewayUnavailable

from . import services
from .models import ReturnLine, ReturnNotification, ReturnRequest
from .notifications import send_return_email

SWEEP_AFTER = timedelta(minutes=5)
State = ReturnRequest.State


@shared_task(acks_late=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def issue_return_label(return_id: int) -> str:
    return services.issue_return_label(return_id=return_id).tracking_number


@shared_task(acks_late=True, autoretry_for=(SMTPException, OSError), retry_backoff=True,
             max_retries=5)
def send_return_notification(return_id: int, kind: str) -> bool:
    return send_return_email(return_id=return_id, kind=kind)


@shared_task(acks_late=True)
def restock_return(return_id: int) -> int:
    return services.restock_return(return_id=return_id)


@shared_task(acks_late=True, autoretry_for=(GatewayUnavailable,), retry_backoff=True,
             max_retries=8)
def execute_refund(return_id: int) -> str:
    return services.execute_refund(return_id=return_id).state


@shared_task(acks_late=True)
def sweep_return_work() -> dict[str, int]:
    """Beat, every five minutes: labels not made, stock not moved, refunds decided but not
    made, emails not sent (a broker that was down, a worker killed mid-task)."""
    cutoff = timezone.now() - SWEEP_AFTER
    labels = list(ReturnRequest.objects.filter(
        state=State.APPROVED, method=ReturnRequest.Method.LABEL, tracking_number="",
        approved_at__lt=cutoff).values_list("pk", flat=True)[:200])
    for return_id in labels:
        issue_return_label.delay(return_id)
    restocks = list(ReturnRequest.objects.filter(inspected_at__lt=cutoff).filter(Exists(
        ReturnLine.objects.filter(return_request=OuterRef("pk"), restocked_at__isnull=True,
                                  restock_level__isnull=False, condition__in=[
                                      ReturnLine.Condition.DAMAGED,
                                      ReturnLine.Condition.RESELLABLE])
        .exclude(condition=ReturnLine.Condition.RESELLABLE, restock=False)))
        .values_list("pk", flat=True)[:200])
    for return_id in restocks:
        restock_return.delay(return_id)
    refunds = list(ReturnRequest.objects.filter(
        state=State.INSPECTED, refund_requested_at__lt=cutoff).values_list("pk", flat=True)[:200])
    for return_id in refunds:
        execute_refund.delay(return_id)
    emails = 0
    for state, kind in EMAIL_FOR_STATE.items():
        missing = list(ReturnRequest.objects.filter(state=state, updated_at__lt=cutoff).exclude(
            Exists(ReturnNotification.objects.filter(return_request=OuterRef("pk"), kind=kind,
                                                     sent_at__isnull=False)))
            .exclude(state=State.APPROVED, method=ReturnRequest.Method.LABEL,
                     tracking_number="")
            .values_list("pk", flat=True)[:200])
        for return_id in missing:
            send_return_notification.delay(return_id, kind)
        emails += len(missing)
    return {"labels": len(labels), "restocks": len(restocks), "refunds": len(refunds),
            "emails": emails}


EMAIL_FOR_STATE = {
    State.APPROVED: ReturnNotification.Kind.APPROVED,
    State.REJECTED: ReturnNotification.Kind.REJECTED,
    State.RECEIVED: ReturnNotification.Kind.RECEIVED,
    State.REFUNDED: ReturnNotification.Kind.REFUNDED,
}
