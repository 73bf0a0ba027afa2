"""Vouchers to a segment: one single-use code per customer who may be emailed, sent once
however often the sending runs, and only by the Merchant."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from customers.exceptions import CampaignInvalid
from customers.models import CampaignRecipient, Segment, VoucherCampaign
from customers.services import (
    create_voucher_campaign,
    refresh_customer_segments,
    send_campaign_vouchers,
)
from marketing.consent import record_consent
from marketing.models import MarketingEmail
from orders.models import Voucher
from tests.factories import UserFactory

from .conftest import make_order

pytestmark = pytest.mark.django_db


@pytest.fixture
def new_customers():
    now = timezone.now()
    for name in ("ann", "bo", "cy"):
        make_order(email=f"{name}@example.com", total="20", days_ago=3, now=now)
    make_order(email="old@example.com", total="20", days_ago=900, now=now)  # lapsed
    for name in ("ann", "bo"):
        record_consent(email=f"{name}@example.com", granted=True, wording="News and offers",
                       source="checkout")
    refresh_customer_segments()


def _campaign(**overrides):
    values = {"segment": Segment.NEW, "kind": "percentage", "value": Decimal("15"),
              "ends_at": timezone.now() + timedelta(days=30), "subject": "Thanks",
              "actor": UserFactory(username="merchant"), "min_subtotal": Decimal("40")}
    return create_voucher_campaign(**{**values, **overrides})


def test_each_consenting_customer_gets_one_single_use_voucher_and_one_email(
        new_customers, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        campaign = _campaign()
    campaign.refresh_from_db()
    assert (campaign.eligible, campaign.sent, campaign.skipped_no_consent) == (3, 2, 1)
    assert campaign.finished_at is not None

    recipients = {row.email: row for row in campaign.recipients.select_related("voucher")}
    assert recipients["cy@example.com"].status == CampaignRecipient.Status.NO_CONSENT
    assert recipients["cy@example.com"].voucher is None
    codes = set()
    for email in ("ann@example.com", "bo@example.com"):
        voucher = recipients[email].voucher
        assert voucher.usage_limit == 1 and voucher.per_customer_limit == 1
        assert voucher.kind == "percentage" and voucher.value == Decimal("15")
        assert voucher.min_subtotal == Decimal("40") and voucher.ends_at == campaign.ends_at
        assert voucher.code.startswith("SEG-") and len(voucher.code) == 16
        codes.add(voucher.code)
    assert len(codes) == 2

    sent = sorted(mail.outbox, key=lambda message: message.to[0])
    assert [message.to for message in sent] == [["ann@example.com"], ["bo@example.com"]]
    assert recipients["ann@example.com"].voucher.code in sent[0].body
    assert "old@example.com" not in {message.to[0] for message in mail.outbox}
    assert MarketingEmail.objects.filter(kind="segment_voucher").count() == 2


def test_sending_again_sends_nothing_more_and_makes_no_voucher(
        new_customers, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        campaign = _campaign()
    vouchers, emails = Voucher.objects.count(), len(mail.outbox)
    with django_capture_on_commit_callbacks(execute=True):
        assert send_campaign_vouchers(campaign_id=campaign.pk) == 0
        assert send_campaign_vouchers(campaign_id=campaign.pk) == 0
    assert Voucher.objects.count() == vouchers
    assert len(mail.outbox) == emails
    campaign.refresh_from_db()
    assert campaign.sent == 2


def test_a_crash_after_the_voucher_is_made_reuses_it(new_customers,
                                                     django_capture_on_commit_callbacks):
    campaign = _campaign()  # not sent yet (the task runs after commit)
    recipient = campaign.recipients.get(email="ann@example.com")
    voucher = Voucher.objects.create(code="SEG-EXISTING0001", kind="percentage",
                                     value=Decimal("15"), usage_limit=1)
    CampaignRecipient.objects.filter(pk=recipient.pk).update(voucher=voucher)
    with django_capture_on_commit_callbacks(execute=True):
        send_campaign_vouchers(campaign_id=campaign.pk)
    recipient.refresh_from_db()
    assert recipient.voucher_id == voucher.pk
    assert any("SEG-EXISTING0001" in message.body for message in mail.outbox)


@pytest.mark.parametrize("overrides, message", [
    ({"value": Decimal("120")}, "at most 100"),
    ({"value": Decimal("0")}, "more than zero"),
    ({"ends_at": datetime(2020, 1, 1, tzinfo=UTC)}, "future"),
    ({"segment": "vip"}, "segment"),
    ({"subject": "  "}, "subject"),
])
def test_a_bad_campaign_is_refused_with_a_message(new_customers, overrides, message):
    with pytest.raises(CampaignInvalid, match=message):
        _campaign(**overrides)
    assert not VoucherCampaign.objects.exists()


def test_only_the_merchant_may_send_vouchers(client, staff_in, new_customers,
                                             django_capture_on_commit_callbacks):
    url = reverse("admin:customers_vouchercampaign_add")
    form = {"segment": "new", "kind": "fixed", "value": "5.00", "min_subtotal": "",
            "ends_at": (timezone.now() + timedelta(days=10)).strftime("%Y-%m-%d %H:%M"),
            "subject": "A thank-you"}
    staff_in(client, "Returns clerk")
    assert client.get(url).status_code == 403
    assert client.post(url, form).status_code == 403
    assert not VoucherCampaign.objects.exists()

    staff_in(client, "Merchant")
    assert client.get(url, {"segment": "new"}).status_code == 200
    assert client.post(url, {**form, "value": "abc"}).status_code == 400
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, form)
    assert response.status_code == 302
    campaign = VoucherCampaign.objects.get()
    assert (campaign.kind, campaign.value, campaign.sent) == ("fixed", Decimal("5.00"), 2)
    assert campaign.created_by.username == "merchant"
    page = client.get(reverse("admin:customers_vouchercampaign_change", args=[campaign.pk]))
    assert page.status_code == 200


def test_a_large_campaign_is_sent_in_batches_until_none_wait(new_customers,
                                                            django_capture_on_commit_callbacks):
    campaign = _campaign()  # the task has not run (after commit)
    with django_capture_on_commit_callbacks(execute=True):
        assert send_campaign_vouchers(campaign_id=campaign.pk, limit=1) == 2
        assert send_campaign_vouchers(campaign_id=campaign.pk, limit=1) == 1
        assert send_campaign_vouchers(campaign_id=campaign.pk, limit=1) == 0
    campaign.refresh_from_db()
    assert (campaign.sent, campaign.skipped_no_consent) == (2, 1)
    assert campaign.finished_at is not None
