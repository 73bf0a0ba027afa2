"""``manage.py run_scheduler``: the periodic jobs of CELERY_BEAT_SCHEDULE, run in this
process, for the embedded default (no broker: ``make run`` starts it beside runserver).

With no broker, Celery tasks run eagerly and ``celery beat`` would have nowhere to send
them, so the deadlines (unpaid orders canceled, their stock released), the sweeps and the
nightly checks would never happen on a laptop. This reads the same schedule as beat
(seconds, timedeltas and crontabs), and when an entry is due calls its task here, in
process (``Task.apply``: what it enqueues runs eagerly too). Like beat, an interval entry
first runs one interval after start and a crontab entry at its next time. A task that
fails is logged and the scheduler goes on. With a broker configured it refuses: run
``celery -A shop worker`` and ``celery -A shop beat`` (one scheduler, as in production).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from celery.schedules import crontab, schedule
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connections
from django.utils import timezone

from shop.celery import app as celery_app

logger = logging.getLogger("shop.scheduler")
# The longest the loop sleeps between looks at the clock.
MAX_SLEEP_SECONDS = 30.0


@dataclass
class Entry:
    name: str
    task: str
    schedule: schedule
    args: tuple = ()
    kwargs: dict = field(default_factory=dict)
    last_run_at: datetime | None = None
    runs: int = 0
    failures: int = 0


def _bound(value, clock: Callable[[], datetime]) -> schedule:
    """The entry's schedule, reading time from ``clock`` (so tests can move it)."""
    if isinstance(value, crontab):
        return crontab(minute=value._orig_minute, hour=value._orig_hour,
                       day_of_week=value._orig_day_of_week,
                       day_of_month=value._orig_day_of_month,
                       month_of_year=value._orig_month_of_year, nowfun=clock, app=celery_app)
    if isinstance(value, schedule):
        value = value.run_every
    if isinstance(value, int | float):
        value = timedelta(seconds=value)
    if not isinstance(value, timedelta):
        raise CommandError(f"Unsupported schedule {value!r}: use seconds, a timedelta or a "
                           "crontab.")
    return schedule(run_every=value, nowfun=clock, app=celery_app)


def _close_old_connections() -> None:
    """Between jobs, as between requests: a long-lived process drops a connection that
    broke or outlived CONN_MAX_AGE (never one inside a transaction, e.g. under a test)."""
    for connection in connections.all(initialized_only=True):
        if not connection.in_atomic_block:
            connection.close_if_unusable_or_obsolete()


class Scheduler:
    """The beat schedule, kept in memory: which entries are due, and running them."""

    def __init__(self, beat_schedule: dict, *, clock: Callable[[], datetime] = timezone.now,
                 run_task: Callable[[Entry], None] | None = None):
        self.clock = clock
        self.run_task = run_task or self._apply
        start = clock()
        self.entries = [
            Entry(name=name, task=spec["task"], schedule=_bound(spec["schedule"], clock),
                  args=tuple(spec.get("args", ())), kwargs=dict(spec.get("kwargs", {})),
                  last_run_at=start)
            for name, spec in beat_schedule.items()]

    def tick(self) -> float:
        """Run every entry that is due now; return the seconds until one may be due."""
        wait = MAX_SLEEP_SECONDS
        for entry in self.entries:
            due, next_check = entry.schedule.is_due(entry.last_run_at)
            if due:
                entry.last_run_at = self.clock()
                self._run(entry)
                _, next_check = entry.schedule.is_due(entry.last_run_at)
            wait = min(wait, next_check)
        return max(wait, 1.0)

    def _run(self, entry: Entry) -> None:
        _close_old_connections()
        started = time.monotonic()
        try:
            self.run_task(entry)
        # A scheduler must outlive any one job, as beat does: whatever a task raises
        # (a bug, the database away for a moment) is logged and the others still run.
        except Exception:  # noqa: BLE001
            entry.failures += 1
            logger.exception("Scheduled job %s (%s) failed", entry.name, entry.task)
        else:
            entry.runs += 1
            logger.info("Scheduled job %s (%s) ran in %.1fs", entry.name, entry.task,
                        time.monotonic() - started)
        finally:
            _close_old_connections()

    @staticmethod
    def _apply(entry: Entry) -> None:
        celery_app.loader.import_default_modules()
        task = celery_app.tasks[entry.task]
        task.apply(args=entry.args, kwargs=entry.kwargs, throw=True)


class Command(BaseCommand):
    help = ("Run the periodic jobs (CELERY_BEAT_SCHEDULE) in this process, for the "
            "embedded default with no broker. With a broker, run celery beat instead.")

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true",
                            help="Run every job once now, then exit.")

    def handle(self, *args, **options):
        if not settings.CELERY_TASK_ALWAYS_EAGER:
            raise CommandError("A broker is configured (CELERY_BROKER_URL/REDIS_URL): run "
                               "`celery -A shop worker` and `celery -A shop beat` instead.")
        scheduler = Scheduler(settings.CELERY_BEAT_SCHEDULE)
        if options["once"]:
            for entry in scheduler.entries:
                scheduler._run(entry)
            failed = sum(entry.failures for entry in scheduler.entries)
            self.stdout.write(f"Ran {len(scheduler.entries)} scheduled job(s), {failed} failed.")
            return
        self.stdout.write(f"Scheduler running {len(scheduler.entries)} periodic job(s) in "
                          "process (no broker configured). Ctrl-C to stop.")
        try:
            while True:
                time.sleep(scheduler.tick())
        except KeyboardInterrupt:
            self.stdout.write("Scheduler stopped.")
