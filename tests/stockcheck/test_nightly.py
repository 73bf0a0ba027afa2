"""The nightly check emails the merchant once when something is wrong, never when clean."""

from datetime import date

import pytest
from django.conf import settings
from django.core import mail
from django.db.models import F

from inventory.models import StockLevel
from shop.celery import app as celery_app
from shop.stockcheck import tasks
from shop.stockcheck.models import StockCheckRun
from shop.stockcheck.services import run_nightly_stock_check
from shop.web.consistency import merchant_email_addresses

from .conftest import level_of

pytestmark = pytest.mark.django_db


def test_the_check_is_scheduled_nightly():
    entry = settings.CELERY_BEAT_SCHEDULE["nightly-stock-check"]
    assert entry["task"] == "shop.stockcheck.tasks.nightly_stock_check"
    assert entry["task"] in celery_app.tasks
    assert entry["schedule"].hour == {2}


def test_clean_stock_sends_nothing(place, mug):
    place({mug: 1})
    assert tasks.nightly_stock_check.delay().get() is False
    assert mail.outbox == []
    run = StockCheckRun.objects.get()
    assert (run.violations, run.emailed_at) == (0, None)


def test_broken_stock_emails_the_merchant_once(place, mug, settings):
    settings.SHOP_MERCHANT_EMAIL = "owner@example.com"
    place({mug: 1})
    StockLevel.objects.filter(pk=level_of(mug).pk).update(on_hand=F("on_hand") + 2,
                                                          allocated=0)

    assert tasks.nightly_stock_check.delay().get() is True
    assert tasks.nightly_stock_check.delay().get() is False  # the same night: no second email
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["owner@example.com"]
    assert "stock check found 2 problems" in message.subject
    assert "MUG at east: the ledger sums to 10 but on hand is 12" in message.body
    assert "MUG at east: allocated is 0 but the order allocations there add up to 1." in (
        message.body)
    assert "/admin/stockcheck/stockcheck/" in message.body
    run = StockCheckRun.objects.get()
    assert run.violations == 2 and run.emailed_at is not None


def test_a_new_night_emails_again_while_it_is_still_broken(mug):
    StockLevel.objects.filter(pk=level_of(mug).pk).update(on_hand=F("on_hand") + 1)
    assert run_nightly_stock_check(day=date(2025, 3, 1))
    assert run_nightly_stock_check(day=date(2025, 3, 2))
    assert not run_nightly_stock_check(day=date(2025, 3, 2))
    assert len(mail.outbox) == 2


def test_without_a_merchant_address_the_admins_are_written_to(settings):
    settings.SHOP_MERCHANT_EMAIL = ""
    settings.ADMINS = [("Ops", "ops@example.com")]
    assert merchant_email_addresses() == ["ops@example.com"]
    settings.ADMINS = []
    assert merchant_email_addresses() == [settings.DEFAULT_FROM_EMAIL]
