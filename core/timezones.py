"""The user's local day: one default zone, one fallback for a missing or unknown zone, and the
fixed day that daily limits count in.

Drop ripening and quiet hours follow the user's own time zone (``Profile.time_zone``) at once.
Daily limits (steals, waterings, claim codes) count in ``limit_day``: the same local day, except
that a change of zone cannot move the day's boundary before the day in progress ends. That day
is pinned (its date, start and end, kept on the profile) when the zone changes, and the new zone
takes over at the pinned end; so switching to Pacific/Kiritimati at noon does not start a new
day at once. Old or odd data must never fail a request, so an empty or unknown zone name falls
back to ``DEFAULT_TIME_ZONE``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

DEFAULT_TIME_ZONE = "Europe/Amsterdam"


def zone(tz_name: str | None) -> ZoneInfo:
    """``tz_name`` as a zone, or the default zone if it is empty or unknown."""
    if tz_name:
        try:
            return ZoneInfo(tz_name)
        except Exception:  # unknown zone in old data (ZoneInfoNotFoundError, ValueError, ...)
            pass
    return ZoneInfo(DEFAULT_TIME_ZONE)


def local_day(now: datetime, tz_name: str | None) -> date:
    """The calendar day ``now`` falls on in the zone."""
    return now.astimezone(zone(tz_name)).date()


def local_day_start(now: datetime, tz_name: str | None) -> datetime:
    """Local midnight at the start of that day (an aware datetime in the zone)."""
    local = now.astimezone(zone(tz_name))
    return local.replace(hour=0, minute=0, second=0, microsecond=0)


@dataclass(frozen=True)
class LimitDay:
    """The day daily limits count in: its date (the key stored on counted rows) and its
    [start, end) instants."""

    day: date
    start: datetime
    end: datetime


def _midnight(day: date, tz_name: str | None) -> datetime:
    return datetime.combine(day, time(0), tzinfo=zone(tz_name))


def limit_day(now: datetime, tz_name: str | None, pinned: LimitDay | None = None) -> LimitDay:
    """The limit day ``now`` falls in, for a user in ``tz_name`` whose last zone change pinned
    ``pinned`` (None: never changed).

    Until the pinned day ends, it is the day. After it, days are the zone's calendar days, but
    never dated on or before the pinned day (flying west must not give a day back) and never
    starting before the pinned end (flying east must not start the next day early). The dates
    only go forward and each boundary comes once.
    """
    if pinned is not None and pinned.start <= now < pinned.end:
        return pinned
    day = local_day(now, tz_name)
    start = _midnight(day, tz_name)
    if pinned is not None and now >= pinned.end:
        after = pinned.day + timedelta(days=1)
        first = max(local_day(pinned.end, tz_name), after)  # the day the pinned end opened
        day = max(day, after)
        if day == first:
            start = pinned.end
    return LimitDay(day=day, start=start, end=_midnight(day + timedelta(days=1), tz_name))
