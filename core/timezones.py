"""The user's local day: one default zone and one fallback for a missing or unknown zone.

Daily caps (steals, waterings, claim codes), drop ripening and quiet hours all count in the
user's own time zone (``Profile.time_zone``); old or odd data must never fail a request, so an
empty or unknown zone name falls back to ``DEFAULT_TIME_ZONE``.
"""

from __future__ import annotations

from datetime import date, datetime
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
