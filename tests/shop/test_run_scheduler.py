"""``manage.py run_scheduler``: the beat schedule run in process when there is no broker
(what ``make run`` starts beside runserver)."""

import logging
from datetime import UTC, datetime, timedelta

import pytest
from celery.schedules import crontab
from django.conf import settings
from django.core.management import CommandError, call_command
from django.utils import timezone

from orders import services
from orders.models import Order
from shop.celery import app as celery_app
from shop.management.commands.run_scheduler import Scheduler
from tests.factories import ProductFactory, make_variant, ready_cart

# The scheduler looks after its database connections between jobs.
pytestmark = pytest.mark.django_db
START = datetime(2030, 1, 1, 2, 0, tzinfo=UTC)


class Clock:
    def __init__(self):
        self.now = START

    def __call__(self):
        return self.now

    def advance(self, **delta):
        self.now += timedelta(**delta)


def recording_scheduler(beat_schedule, clock, fail=()):
    ran = []

    def run_task(entry):
        ran.append(entry.name)
        if entry.name in fail:
            raise RuntimeError(f"{entry.name} broke")

    return Scheduler(beat_schedule, clock=clock, run_task=run_task), ran


def test_a_due_entry_runs_once_then_waits_for_its_next_interval():
    clock = Clock()
    scheduler, ran = recording_scheduler(
        {"sweep": {"task": "orders.tasks.sweep_order_work", "schedule": 60.0}}, clock)
    scheduler.tick()
    assert ran == []  # like beat: the first run is one interval after start
    clock.advance(seconds=61)
    scheduler.tick()
    scheduler.tick()  # the same moment again: not run twice
    assert ran == ["sweep"]
    clock.advance(seconds=30)
    scheduler.tick()
    assert ran == ["sweep"]
    clock.advance(seconds=31)
    scheduler.tick()
    assert ran == ["sweep", "sweep"]


def test_each_entry_keeps_its_own_interval_and_crontab_entries_their_time():
    clock = Clock()
    scheduler, ran = recording_scheduler({
        "every-minute": {"task": "a", "schedule": 60.0},
        "every-five": {"task": "b", "schedule": timedelta(minutes=5)},
        "nightly": {"task": "c", "schedule": crontab(hour=2, minute=30)},
    }, clock)
    for _ in range(10):  # ten minutes, a tick every minute
        clock.advance(seconds=60)
        scheduler.tick()
    assert ran.count("every-minute") == 10
    assert ran.count("every-five") == 2
    assert "nightly" not in ran
    clock.now = START.replace(minute=30, second=5)
    scheduler.tick()
    assert ran.count("nightly") == 1
    clock.advance(hours=1)
    scheduler.tick()
    assert ran.count("nightly") == 1  # tomorrow, not again tonight


def test_a_failing_job_is_logged_and_the_others_still_run(caplog):
    clock = Clock()
    scheduler, ran = recording_scheduler({
        "broken": {"task": "a", "schedule": 60.0},
        "fine": {"task": "b", "schedule": 60.0},
    }, clock, fail={"broken"})
    clock.advance(seconds=61)
    with caplog.at_level(logging.INFO, logger="shop.scheduler"):
        scheduler.tick()
    assert ran == ["broken", "fine"]
    failed = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(failed) == 1 and "broken" in failed[0].getMessage()
    assert failed[0].exc_info and "broken broke" in str(failed[0].exc_info[1])
    assert any("fine" in r.getMessage() and r.levelno == logging.INFO for r in caplog.records)
    clock.advance(seconds=61)
    scheduler.tick()  # it runs again at its next interval
    assert ran.count("broken") == 2 and ran.count("fine") == 2


def test_every_beat_entry_names_a_registered_task():
    celery_app.loader.import_default_modules()
    missing = [spec["task"] for spec in settings.CELERY_BEAT_SCHEDULE.values()
               if spec["task"] not in celery_app.tasks]
    assert missing == []
    assert Scheduler(settings.CELERY_BEAT_SCHEDULE).entries


def test_the_deadline_job_cancels_an_unpaid_order_in_process(django_capture_on_commit_callbacks):
    variant = make_variant(ProductFactory(), price="20.00", stock=3)
    order = services.place_order(cart=ready_cart(variants={variant: 1}))
    Order.objects.filter(pk=order.pk).update(payment_due_by=timezone.now() - timedelta(minutes=1))
    clock = Clock()
    clock.now = timezone.now()
    scheduler = Scheduler({"cancel-unpaid-orders":
                           settings.CELERY_BEAT_SCHEDULE["cancel-unpaid-orders"]}, clock=clock)
    clock.advance(seconds=61)
    with django_capture_on_commit_callbacks(execute=True):
        scheduler.tick()
    order.refresh_from_db()
    assert order.status == Order.Status.CANCELED
    assert scheduler.entries[0].runs == 1 and scheduler.entries[0].failures == 0


def test_once_runs_each_job_and_reports(settings, capsys):
    settings.CELERY_BEAT_SCHEDULE = {
        "remind": {"task": "orders.tasks.remind_unpaid_orders", "schedule": 60.0},
        "missing": {"task": "no.such.task", "schedule": 60.0},
    }
    call_command("run_scheduler", "--once")
    assert "Ran 2 scheduled job(s), 1 failed." in capsys.readouterr().out


def test_refuses_when_a_broker_is_configured(settings):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    with pytest.raises(CommandError, match="celery -A shop beat"):
        call_command("run_scheduler", "--once")
