"""Abandoned-checkout reminders: sent by the beat task once per cart and number, only to
shoppers who opted in, never for an empty or ordered cart; the second one is optional."""

import re

import pytest
from django.core import mail

from marketing import consent
from marketing.models import CartReminder, MarketingEmail
from marketing.recovery import send_cart_reminder
from orders import services as order_services
from tests.marketing.conftest import idle

pytestmark = pytest.mark.django_db


def reminders():
    return [m for m in mail.outbox if "in your cart" in m.subject or "still waiting" in m.subject]


def test_one_reminder_per_cart_however_often_the_task_runs(abandoned, run_reminders, settings):
    cart = abandoned()
    assert run_reminders() == 1
    assert run_reminders() == 0
    [message] = reminders()
    assert message.to == ["ada@example.com"]
    assert message.subject == f"{settings.SHOP_NAME}: You left something in your cart"
    assert "Linen Apron" in message.body and "$25.00" in message.body
    assert re.search(r"/cart/restore/[^/\s]+/", message.body)
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    reminder = CartReminder.objects.get(cart=cart)
    assert reminder.number == 1 and reminder.email.status == MarketingEmail.Status.SENT
    assert reminder.prices == {str(cart.lines.get().variant_id): "25.00"}


def test_not_before_the_configured_time_and_not_when_switched_off(abandoned, run_reminders,
                                                                  settings):
    abandoned(minutes=30)
    assert run_reminders() == 0
    settings.CART_RECOVERY_FIRST_AFTER = None
    abandoned("bo@example.com", minutes=600)
    assert run_reminders() == 0 and not reminders()


def test_no_reminder_without_consent_or_after_unsubscribing(abandoned, run_reminders):
    abandoned("never@example.com", consent_given=False)
    abandoned("gone@example.com")
    consent.record_consent(email="gone@example.com", granted=False, wording="w",
                           source="unsubscribe_link")
    assert run_reminders() == 0
    assert not reminders() and not CartReminder.objects.exists()


def test_no_reminder_for_an_empty_cart_or_one_without_email(abandoned, run_reminders, apron,
                                                           opted_in):
    cart = abandoned()
    cart.lines.all().delete()
    idle(cart)
    opted_in("empty@example.com")
    no_email = order_services.get_or_create_cart()
    order_services.add_to_cart(cart=no_email, variant_id=apron.pk, quantity=1)
    idle(no_email)
    assert run_reminders() == 0 and not reminders()


def test_no_reminder_for_a_cart_that_became_an_order(abandoned, run_reminders):
    cart = abandoned()
    order_services.place_order(cart=cart)
    mail.outbox.clear()
    assert run_reminders() == 0 and not reminders()


def test_an_order_placed_after_the_reminder_was_queued_stops_it_at_send_time(
        abandoned, django_capture_on_commit_callbacks):
    from marketing.delivery import deliver_queued_email

    cart = abandoned()
    assert send_cart_reminder(cart_id=cart.pk, number=1) is True  # queued, not yet delivered
    order_services.place_order(cart=cart)
    mail.outbox.clear()
    row = MarketingEmail.objects.get(kind="cart_reminder")
    assert deliver_queued_email(email_id=row.pk) is False
    row.refresh_from_db()
    assert row.status == MarketingEmail.Status.SKIPPED and "ordered" in row.skipped_reason
    assert not reminders()


def test_the_second_reminder_is_optional(abandoned, run_reminders, settings):
    settings.CART_RECOVERY_SECOND_AFTER = None
    cart = abandoned()
    assert run_reminders() == 1
    idle(cart, minutes=25 * 60)
    assert run_reminders() == 0

    settings.CART_RECOVERY_SECOND_AFTER = settings.CART_RECOVERY_FIRST_AFTER * 24
    assert run_reminders() == 1
    assert run_reminders() == 0
    assert [m.subject.split(": ", 1)[1] for m in reminders()] == [
        "You left something in your cart", "Your cart is still waiting"]
    assert list(CartReminder.objects.filter(cart=cart).order_by("number")
                .values_list("number", flat=True)) == [1, 2]


def test_no_second_reminder_before_its_time_or_after_the_cart_was_restored(
        abandoned, run_reminders, client):
    cart = abandoned()
    run_reminders()
    assert run_reminders() == 0  # 90 minutes idle: the second waits for 24 hours
    link = re.search(r"(/cart/restore/[^/\s]+/)", reminders()[0].body).group(1)
    client.get(link)
    idle(cart, minutes=25 * 60)
    assert run_reminders() == 0
