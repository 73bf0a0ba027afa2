"""Voucher campaigns: single-use codes emailed to one segment's customers, once each."""

from __future__ import annotations

import secrets
from datetime import datetime
from decimal import Decimal
from functools import partial

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from kernel.money import Money
from marketing.consent import may_email_marketing
from marketing.mail import send_marketing_email
from orders.models import Voucher

from ..exceptions import CampaignInvalid
from ..models import CampaignRecipient, Segment, VoucherCampaign
from ..selectors import segment_members
from ..signals import voucher_campaign_created

# 12 characters from 32 (no 0/O, 1/I): 60 bits, not guessable.
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 12
BATCH = 1000
EMAIL_KIND = "segment_voucher"
EMAIL_TEMPLATE = "customers/segment_voucher"


def voucher_code() -> str:
    return "SEG-" + "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def create_voucher_campaign(*, segment: str, kind: str, value: Decimal, ends_at: datetime,
                            subject: str, actor, min_subtotal: Decimal | None = None,
                            ) -> VoucherCampaign:
    """Record a campaign and fix its recipients: every customer in ``segment`` now.

    Preconditions (else ``CampaignInvalid``): a known segment and kind, a positive value
    (at most 100 for a percentage), an expiry in the future, a subject. Guarantees: the
    campaign and its recipient rows are written together; nothing is sent yet (see
    ``send_campaign_vouchers``, queued after commit), and no voucher exists yet.
    """
    if segment not in Segment.values:
        raise CampaignInvalid("Choose a segment.")
    if kind not in VoucherCampaign.Kind.values:
        raise CampaignInvalid("Choose a percentage or an amount off.")
    if value is None or value <= 0:
        raise CampaignInvalid("The discount must be more than zero.")
    if kind == VoucherCampaign.Kind.PERCENTAGE and value > 100:
        raise CampaignInvalid("A percentage discount can be at most 100.")
    if min_subtotal is not None and min_subtotal < 0:
        raise CampaignInvalid("The minimum spend cannot be negative.")
    if ends_at <= timezone.now():
        raise CampaignInvalid("The expiry must be in the future.")
    subject = (subject or "").strip()
    if not subject:
        raise CampaignInvalid("Write a subject for the email.")
    with transaction.atomic():
        campaign = VoucherCampaign.objects.create(
            segment=segment, kind=kind, value=value, currency=settings.SHOP_CURRENCY,
            min_subtotal=min_subtotal, ends_at=ends_at, subject=subject[:150],
            created_by=actor)
        batch = []
        for email in segment_members(segment).values_list("email", flat=True).iterator(
                chunk_size=BATCH):
            batch.append(CampaignRecipient(campaign=campaign, email=email))
            if len(batch) >= BATCH:
                CampaignRecipient.objects.bulk_create(batch)
                batch = []
        CampaignRecipient.objects.bulk_create(batch)
        _recount(campaign)
        transaction.on_commit(partial(voucher_campaign_created.send, sender=VoucherCampaign,
                                      campaign_id=campaign.pk))
    return campaign


def send_campaign_vouchers(*, campaign_id: int, limit: int = 500) -> int:
    """Send up to ``limit`` waiting recipients of a campaign their voucher; returns how many
    are still waiting (the task queues itself again while some are).

    Each recipient is one short transaction under its row lock: one without marketing
    consent (``marketing.consent.may_email_marketing``) is marked skipped and gets no
    voucher; anyone else gets one single-use voucher (made once: a run after a crash finds
    it) and one email (``send_marketing_email``, deduplicated by
    ``campaign:<id>:<email>``). Running twice never makes a second voucher nor a second
    email. The campaign's counts are recomputed from its recipients at the end.
    """
    campaign = VoucherCampaign.objects.filter(pk=campaign_id).first()
    if campaign is None:
        return 0
    pending = list(campaign.recipients.filter(status=CampaignRecipient.Status.PENDING)
                   .order_by("pk").values_list("pk", flat=True)[:limit])
    for recipient_id in pending:
        _send_one(campaign, recipient_id)
    with transaction.atomic():
        campaign = VoucherCampaign.objects.select_for_update().get(pk=campaign_id)
        remaining = _recount(campaign)
    return remaining


def _send_one(campaign: VoucherCampaign, recipient_id: int) -> None:
    with transaction.atomic():
        recipient = (CampaignRecipient.objects.select_for_update()
                     .filter(pk=recipient_id, status=CampaignRecipient.Status.PENDING).first())
        if recipient is None:
            return  # another run got there first
        if not may_email_marketing(recipient.email):
            recipient.status = CampaignRecipient.Status.NO_CONSENT
            recipient.save(update_fields=["status"])
            return
        if recipient.voucher_id is None:
            recipient.voucher = Voucher.objects.create(
                code=_unused_code(), kind=campaign.kind, value=campaign.value,
                currency=campaign.currency, min_subtotal=campaign.min_subtotal,
                starts_at=timezone.now(), ends_at=campaign.ends_at, usage_limit=1,
                per_customer_limit=1)
        send_marketing_email(
            to=recipient.email, subject=campaign.subject, template=EMAIL_TEMPLATE,
            context=_email_context(campaign, recipient.voucher), kind=EMAIL_KIND,
            dedupe_key=f"campaign:{campaign.pk}:{recipient.email}")
        # False means this key was queued before (a crash after it), or consent went
        # between the check and now: either way nothing more is sent for this person.
        recipient.status = CampaignRecipient.Status.SENT
        recipient.sent_at = timezone.now()
        recipient.save(update_fields=["status", "sent_at", "voucher"])


def _unused_code() -> str:
    while True:
        code = voucher_code()
        if not Voucher.objects.filter(code=code).exists():
            return code


def _email_context(campaign: VoucherCampaign, voucher: Voucher) -> dict:
    minimum = (str(Money(campaign.min_subtotal, campaign.currency))
               if campaign.min_subtotal else "")
    return {"code": voucher.code, "offer": voucher.describe(), "minimum": minimum,
            "ends_at": campaign.ends_at.strftime("%d %b %Y, %H:%M UTC"),
            "shop_url": settings.SHOP_BASE_URL}


def _recount(campaign: VoucherCampaign) -> int:
    """Counts from the recipient rows (one query); returns how many still wait."""
    counts = campaign.recipients.aggregate(
        eligible=Count("pk"),
        sent=Count("pk", filter=Q(status=CampaignRecipient.Status.SENT)),
        skipped=Count("pk", filter=Q(status=CampaignRecipient.Status.NO_CONSENT)))
    campaign.eligible, campaign.sent = counts["eligible"], counts["sent"]
    campaign.skipped_no_consent = counts["skipped"]
    remaining = campaign.eligible - campaign.sent - campaign.skipped_no_consent
    if remaining == 0 and campaign.finished_at is None:
        campaign.finished_at = timezone.now()
    campaign.save(update_fields=["eligible", "sent", "skipped_no_consent", "finished_at"])
    return remaining
