"""Consent records and the marketing mail API: opt-in only, the latest record decides,
sent once per key, with the unsubscribe link and RFC 8058 headers; transactional mail has
neither."""

import pytest
from django.core import mail

from marketing import consent
from marketing.mail import send_marketing_email
from marketing.models import ConsentRecord, MarketingEmail
from marketing.selectors import emails_sent_to

pytestmark = pytest.mark.django_db


def grant(email="ada@example.com", source="checkout"):
    return consent.record_consent(email=email, granted=True, wording=consent.CHECKOUT_WORDING,
                                  source=source)


def send(django_capture_on_commit_callbacks, key="news:1", to="Ada@Example.com"):
    with django_capture_on_commit_callbacks(execute=True):
        return send_marketing_email(to=to, subject="Spring news", template="marketing/news_test",
                                    context={"greeting": "Hello"}, kind="newsletter",
                                    dedupe_key=key)


@pytest.fixture(autouse=True)
def news_template(settings, tmp_path):
    folder = tmp_path / "emails" / "marketing"
    folder.mkdir(parents=True)
    (folder / "news_test.txt").write_text("{{ greeting }} {{ unsubscribe_url }}")
    (folder / "news_test.html").write_text(
        '<p>{{ greeting }}</p><a href="{{ unsubscribe_url }}">x</a>')
    settings.TEMPLATES = [{**settings.TEMPLATES[0],
                           "DIRS": [tmp_path, *settings.TEMPLATES[0]["DIRS"]]}]


def test_no_record_means_no_consent_and_the_latest_record_decides():
    assert not consent.may_email_marketing("ada@example.com")
    assert not consent.has_unsubscribed("ada@example.com")
    grant(email=" ADA@example.com ")
    assert consent.may_email_marketing("ada@example.com")
    consent.record_consent(email="ada@example.com", granted=False,
                           wording=consent.UNSUBSCRIBE_WORDING, source="unsubscribe_link")
    assert not consent.may_email_marketing("ada@example.com")
    assert consent.has_unsubscribed("ada@example.com")
    records = list(ConsentRecord.objects.order_by("pk").values_list("email", "granted", "source"))
    assert records == [("ada@example.com", True, "checkout"),
                       ("ada@example.com", False, "unsubscribe_link")]
    assert ConsentRecord.objects.first().recorded_at.tzinfo is not None


def test_record_consent_refuses_missing_wording_or_unknown_source():
    with pytest.raises(consent.ConsentError):
        consent.record_consent(email="ada@example.com", granted=True, wording="", source="checkout")
    with pytest.raises(consent.ConsentError):
        consent.record_consent(email="ada@example.com", granted=True, wording="x", source="bogus")
    with pytest.raises(consent.ConsentError):
        consent.record_consent(email=" ", granted=True, wording="x", source="checkout")


def test_marketing_email_is_refused_without_consent(django_capture_on_commit_callbacks):
    assert send(django_capture_on_commit_callbacks) is False
    assert not MarketingEmail.objects.exists() and not mail.outbox


def test_marketing_email_goes_once_with_unsubscribe_link_and_headers(
        django_capture_on_commit_callbacks, settings):
    grant()
    assert send(django_capture_on_commit_callbacks) is True
    assert send(django_capture_on_commit_callbacks) is False  # same dedupe key
    [message] = mail.outbox
    assert message.to == ["ada@example.com"]
    assert message.from_email == settings.DEFAULT_FROM_EMAIL
    assert settings.SHOP_NAME in message.from_email and settings.SHOP_NAME in message.subject
    link = message.extra_headers["List-Unsubscribe"]
    assert link.startswith("<http") and "/email/unsubscribe/" in link and link.endswith("/>")
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert link[1:-1] in message.body
    row = MarketingEmail.objects.get()
    assert row.status == "sent" and row.sent_at is not None and row.kind == "newsletter"
    assert list(emails_sent_to("ADA@example.com")) == [row]


def test_consent_withdrawn_before_delivery_means_not_sent(django_capture_on_commit_callbacks):
    from marketing.delivery import deliver_queued_email

    grant()
    send_marketing_email(to="ada@example.com", subject="s", template="marketing/news_test",
                         context={}, kind="newsletter", dedupe_key="k")
    consent.record_consent(email="ada@example.com", granted=False, wording="w",
                           source="account")
    row = MarketingEmail.objects.get()
    assert deliver_queued_email(email_id=row.pk) is False
    row.refresh_from_db()
    assert row.status == "skipped" and not mail.outbox
    assert deliver_queued_email(email_id=row.pk) is False


def test_transactional_order_email_has_no_unsubscribe_headers(django_capture_on_commit_callbacks):
    from orders import services
    from tests.factories import ProductFactory, make_variant, ready_cart

    grant()
    variant = make_variant(ProductFactory(title="Linen Apron"), price="25.00", stock=5)
    with django_capture_on_commit_callbacks(execute=True):
        services.place_order(cart=ready_cart(variants={variant: 1}, email="ada@example.com"))
    assert mail.outbox
    for message in mail.outbox:
        assert "List-Unsubscribe" not in message.extra_headers
        assert "List-Unsubscribe-Post" not in message.extra_headers
        assert "/email/unsubscribe/" not in message.body


def test_the_sweep_sends_an_email_whose_task_was_lost(django_capture_on_commit_callbacks):
    from datetime import timedelta

    from django.utils import timezone

    from marketing.tasks import sweep_marketing_emails

    grant()
    # Written, but the after-commit callback never ran (a crash): nothing was queued.
    send_marketing_email(to="ada@example.com", subject="s", template="marketing/news_test",
                         context={"greeting": "Hi"}, kind="newsletter", dedupe_key="lost")
    assert not mail.outbox
    with django_capture_on_commit_callbacks(execute=True):
        assert sweep_marketing_emails() == 0  # too recent: its task may still be on the way
    MarketingEmail.objects.update(created_at=timezone.now() - timedelta(minutes=15))
    with django_capture_on_commit_callbacks(execute=True):
        assert sweep_marketing_emails() == 1
    with django_capture_on_commit_callbacks(execute=True):
        assert sweep_marketing_emails() == 0  # sent: nothing left to sweep
    assert len(mail.outbox) == 1


def test_a_missing_template_fails_the_caller_and_logs_nothing():
    from django.template import TemplateDoesNotExist

    grant()
    with pytest.raises(TemplateDoesNotExist):
        send_marketing_email(to="ada@example.com", subject="s", template="marketing/nope",
                             context={}, kind="newsletter", dedupe_key="nope")
    assert not MarketingEmail.objects.exists()
