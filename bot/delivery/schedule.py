"""Local-time rules: the weekly digest moment and the quiet hours, per person's time zone.

Both are read from settings once at start-up; a malformed value stops the worker with
a :class:`~bot.delivery.errors.ScheduleError` that names the variable.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.delivery.errors import ScheduleError

_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_SCHEDULE_RE = re.compile(r"^\s*([a-z]{3})[a-z]*\s+(\d{1,2}):(\d{2})\s*$", re.IGNORECASE)
_QUIET_RE = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")


def zone(name: str | None) -> ZoneInfo:
    """The IANA zone ``name``; UTC when it is empty or unknown (a typo must not stop alerts)."""
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def _clock_time(hours: str, minutes: str, variable: str, text: str) -> time:
    if int(hours) > 23 or int(minutes) > 59:
        raise ScheduleError(f"{variable}: {text!r} is not a time of day")
    return time(int(hours), int(minutes))


@dataclass(frozen=True, slots=True)
class WeeklySchedule:
    weekday: int  # Monday is 0
    at: time

    @classmethod
    def parse(cls, text: str) -> WeeklySchedule:
        """``"MON 09:00"`` (any day name of three letters or more, 24-hour time)."""
        match = _SCHEDULE_RE.match(text)
        if match is None or match[1].lower() not in _DAYS:
            raise ScheduleError(
                f"TIERBOT_DIGEST_SCHEDULE: {text!r} is not a day and time like 'MON 09:00'"
            )
        at = _clock_time(match[2], match[3], "TIERBOT_DIGEST_SCHEDULE", text)
        return cls(_DAYS.index(match[1].lower()), at)

    def last_due(self, now: datetime, time_zone: str | None) -> datetime:
        """The latest scheduled moment at or before ``now``, in ``time_zone``."""
        tz = zone(time_zone)
        local = now.astimezone(tz)
        day = local.date() - timedelta(days=(local.weekday() - self.weekday) % 7)
        due = datetime.combine(day, self.at, tzinfo=tz)
        return due if due <= local else datetime.combine(day - timedelta(days=7), self.at, tz)


def iso_week(day: date) -> str:
    """``2026-W10``: the ISO week a local date falls in."""
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


@dataclass(frozen=True, slots=True)
class QuietHours:
    """A daily span of local time in which alerts wait; may wrap past midnight."""

    start: time
    end: time

    @classmethod
    def parse(cls, text: str) -> QuietHours | None:
        """``"22:00-07:00"``; an empty value means no quiet hours."""
        if not text.strip():
            return None
        match = _QUIET_RE.match(text)
        if match is None:
            raise ScheduleError(f"TIERBOT_QUIET_HOURS: {text!r} is not a span like '22:00-07:00'")
        start = _clock_time(match[1], match[2], "TIERBOT_QUIET_HOURS", text)
        end = _clock_time(match[3], match[4], "TIERBOT_QUIET_HOURS", text)
        return cls(start, end) if start != end else None

    def _contains(self, moment: time) -> bool:
        if self.start < self.end:
            return self.start <= moment < self.end
        return moment >= self.start or moment < self.end

    def release_time(self, now: datetime, time_zone: str | None) -> datetime | None:
        """When the quiet period around ``now`` ends (aware), or None if it is not quiet."""
        tz = zone(time_zone)
        local = now.astimezone(tz)
        if not self._contains(local.time().replace(tzinfo=None)):
            return None
        day = local.date() if local.time() < self.end else local.date() + timedelta(days=1)
        return datetime.combine(day, self.end, tzinfo=tz)
