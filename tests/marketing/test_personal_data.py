"""Marketing's personal data sections: consent records and the emails sent are exported;
erasing deletes the consent records and keeps a hashed suppression so the person is never
mailed again (until a new explicit opt-in), and anonymises the email log."""

import pytest

from kernel.personal_data import Subject, sections
from marketing import consent
from marketing.mail import send_marketing_email
from marketing.models import ConsentRecord, EmailSuppression, MarketingEmail

pytestmark = pytest.mark.django_db


def section(name):
    return next(s for s in sections() if s.name == name)


def test_export_and_erase(django_capture_on_commit_callbacks, abandoned, run_reminders):
    abandoned("ada@example.com")
    run_reminders()
    subject = Subject(emails=("Ada@example.com",))
    [record] = section("marketing_consent").export(subject)
    assert record["status"] == "granted" and record["wording"] == consent.CHECKOUT_WORDING
    [sent] = section("marketing_emails").export(subject)
    assert sent["kind"] == "cart_reminder" and sent["sent_at"]

    section("marketing_consent").erase(subject)
    section("marketing_emails").erase(subject)
    assert not ConsentRecord.objects.exists()
    assert not MarketingEmail.objects.filter(to="ada@example.com").exists()
    assert MarketingEmail.objects.get().to == "erased@invalid"
    [suppression] = EmailSuppression.objects.all()
    assert "ada" not in suppression.email_hash and len(suppression.email_hash) == 64
    assert section("marketing_consent").export(subject) == []

    # A record appearing from an old form, without a new opt-in, still mails nothing.
    ConsentRecord.objects.create(email="ada@example.com", granted=True, wording="w",
                                 source="checkout")
    assert not consent.may_email_marketing("ada@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        assert not send_marketing_email(to="ada@example.com", subject="s", template="t",
                                        context={}, kind="k", dedupe_key="k")
    # A new, explicit opt-in lifts the suppression.
    consent.record_consent(email="ada@example.com", granted=True, wording="w",
                           source="account")
    assert consent.may_email_marketing("ada@example.com")
