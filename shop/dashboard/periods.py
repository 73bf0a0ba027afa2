"""Date ranges for the dashboards, in the shop's time zone (SHOP_TIME_ZONE).

A range is whole local days, both ends included; its comparison is the same number of
days just before it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone

from kernel.errors import ShopError

PRESETS = [("today", "Today"), ("7d", "Last 7 days"), ("30d", "Last 30 days"),
           ("month", "This month"), ("last_month", "Last month"), ("custom", "Custom")]
DEFAULT_PRESET = "30d"
MAX_DAYS = 3 * 366


class InvalidRange(ShopError):
    status_code = 400


def shop_zone() -> ZoneInfo:
    return ZoneInfo(settings.SHOP_TIME_ZONE)


def local_today() -> dt.date:
    return timezone.now().astimezone(shop_zone()).date()


def local_day(moment: dt.datetime | None) -> dt.date | None:
    return moment.astimezone(shop_zone()).date() if moment else None


def day_bounds(first: dt.date, last: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The UTC instants [start, end) that local days ``first``..``last`` cover (a day of a
    daylight-saving change is 23 or 25 hours long)."""
    zone = shop_zone()
    start = dt.datetime.combine(first, dt.time.min, tzinfo=zone)
    end = dt.datetime.combine(last + dt.timedelta(days=1), dt.time.min, tzinfo=zone)
    return start.astimezone(dt.UTC), end.astimezone(dt.UTC)


@dataclass(frozen=True)
class Period:
    start: dt.date
    end: dt.date  # included
    preset: str = "custom"

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def previous(self) -> Period:
        end = self.start - dt.timedelta(days=1)
        return Period(start=end - dt.timedelta(days=self.days - 1), end=end, preset="previous")

    def each_day(self) -> list[dt.date]:
        return [self.start + dt.timedelta(days=n) for n in range(self.days)]

    @property
    def label(self) -> str:
        if self.start == self.end:
            return f"{self.start:%d %b %Y}"
        return f"{self.start:%d %b %Y} – {self.end:%d %b %Y}"

    def query(self) -> str:
        if self.preset not in ("custom", "previous"):
            return f"range={self.preset}"
        return f"range=custom&start={self.start:%Y-%m-%d}&end={self.end:%Y-%m-%d}"


def preset_period(preset: str, today: dt.date | None = None) -> Period:
    today = today or local_today()
    if preset == "today":
        return Period(today, today, preset)
    if preset == "7d":
        return Period(today - dt.timedelta(days=6), today, preset)
    if preset == "month":
        return Period(today.replace(day=1), today, preset)
    if preset == "last_month":
        end = today.replace(day=1) - dt.timedelta(days=1)
        return Period(end.replace(day=1), end, preset)
    return Period(today - dt.timedelta(days=29), today, "30d")


def parse_period(params, today: dt.date | None = None) -> Period:
    """The range asked for by ``?range=`` (a preset) or ``?range=custom&start=&end=``.
    A bad custom range raises InvalidRange (a 400 with the reason)."""
    preset = params.get("range") or DEFAULT_PRESET
    if preset != "custom":
        if preset not in dict(PRESETS):
            raise InvalidRange(f"Unknown range {preset!r}.")
        return preset_period(preset, today)
    try:
        start = dt.date.fromisoformat(params.get("start", ""))
        end = dt.date.fromisoformat(params.get("end", ""))
    except ValueError:
        raise InvalidRange("Enter the start and end dates as YYYY-MM-DD.") from None
    if end < start:
        raise InvalidRange("The end date is before the start date.")
    if (end - start).days + 1 > MAX_DAYS:
        raise InvalidRange(f"Choose at most {MAX_DAYS} days.")
    return Period(start, end, "custom")


def consecutive_runs(days) -> list[tuple[dt.date, dt.date]]:
    """Days as sorted runs of consecutive days, each (first, last)."""
    runs: list[tuple[dt.date, dt.date]] = []
    for day in sorted(days):
        if runs and runs[-1][1] + dt.timedelta(days=1) == day:
            runs[-1] = (runs[-1][0], day)
        else:
            runs.append((day, day))
    return runs
