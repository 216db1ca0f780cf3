"""The limit day (core.timezones.limit_day): a time-zone change cannot move the day's boundary
before the day in progress ends."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from core.timezones import limit_day

UTC = ZoneInfo("UTC")
AMS = "Europe/Amsterdam"


def at(hour: int, day: int = 5, minute: int = 0) -> datetime:
    return datetime(2026, 12, day, hour, minute, tzinfo=UTC)


def test_without_a_change_it_is_the_local_calendar_day():
    got = limit_day(at(9), AMS)
    assert got.day == date(2026, 12, 5)
    assert (got.start, got.end) == (at(23, day=4), at(23))


def test_flying_east_the_new_day_starts_at_the_old_midnight_not_at_once():
    pinned = limit_day(at(9), AMS)  # changed to Kiritimati (UTC+14) at 10:00 Amsterdam
    assert limit_day(at(9, minute=5), "Pacific/Kiritimati", pinned) == pinned
    assert limit_day(at(22, minute=59), "Pacific/Kiritimati", pinned).day == date(2026, 12, 5)
    after = limit_day(at(23), "Pacific/Kiritimati", pinned)  # Amsterdam midnight
    assert after.day == date(2026, 12, 6)
    assert (after.start, after.end) == (at(23), at(10, day=6))  # Kiritimati's next midnight
    assert limit_day(at(10, day=6), "Pacific/Kiritimati", pinned).day == date(2026, 12, 7)


def test_flying_west_never_dates_a_day_backwards():
    pinned = limit_day(at(20), "Pacific/Kiritimati")  # Kiritimati 10:00 on the 6th
    assert pinned.day == date(2026, 12, 6)
    # Pago Pago (UTC-11) is still on the 5th when Kiritimati's 6th ends: the next day is the 7th.
    after = limit_day(at(10, day=6), "Pacific/Pago_Pago", pinned)
    assert (after.day, after.start) == (date(2026, 12, 7), at(10, day=6))
    later = limit_day(at(12, day=7), "Pacific/Pago_Pago", pinned)  # Pago Pago's 7th has begun
    assert (later.day, later.start) == (date(2026, 12, 7), at(10, day=6))
    assert limit_day(at(11, day=8), "Pacific/Pago_Pago", pinned).day == date(2026, 12, 8)


def test_dates_only_go_forward_and_days_follow_each_other_without_gaps():
    pinned = limit_day(at(9), AMS)
    for tz in ("Pacific/Kiritimati", "Pacific/Pago_Pago", "America/New_York", AMS):
        previous = pinned
        moment = at(9)
        for _ in range(24 * 4 * 3):  # every quarter of an hour for three days
            moment += timedelta(minutes=15)
            got = limit_day(moment, tz, pinned)
            assert got.start <= moment < got.end, tz
            assert got.day >= previous.day
            if got.day != previous.day:
                assert got.start == previous.end, (tz, moment)
                assert got.end - got.start <= timedelta(hours=50)
            previous = got
