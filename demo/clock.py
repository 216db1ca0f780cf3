"""The demo's clock: ``seed_demo`` lives through its history with the clock set back.

Every service of the game takes its time from ``django.utils.timezone.now()`` (scoring passes
it to its SQL as a parameter), so setting the process clock back makes the history's rows carry
the times they would have had: drops ripen the morning after their night, expire 72 hours on,
caps count per day. ``time-machine`` (a development dependency, installed by ``make run``)
moves the clock; it never goes past the real now.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.management.base import CommandError
from django.utils import timezone
from django.utils.translation import gettext as _

DEMO_TZ = ZoneInfo("Europe/Amsterdam")


def demo_refuse_unless_enabled() -> None:
    """The demo's accounts have published passwords: only where the settings allow a demo."""
    if not getattr(settings, "CANOPY_DEMO_ENABLED", False):
        raise CommandError(
            _(
                "The demo is switched off in these settings (CANOPY_DEMO_ENABLED); it is for "
                "local use only and production settings refuse it."
            )
        )


@contextmanager
def clock_at(instant: datetime) -> Iterator[None]:
    """Run the block as if it were ``instant`` (never later than now)."""
    try:
        import time_machine  # a development dependency: only the demo needs it
    except ImportError as exc:
        raise CommandError(
            "The demo needs the development dependencies (make run installs them: "
            "pip install -e '.[dev]')."
        ) from exc

    instant = min(instant, timezone.now())
    with time_machine.travel(instant, tick=False):
        yield


def local(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=DEMO_TZ)


def last_night_day(now: datetime | None = None) -> date:
    """The day of the latest 02:00 run whose drops have ripened (07:00) by now."""
    now = (now or timezone.now()).astimezone(DEMO_TZ)
    today = now.date()
    return today if now >= local(today, 7, 5) else today - timedelta(days=1)
