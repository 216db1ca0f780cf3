"""Move the living demo forward by whole days (docs/demo.md), so the daily loop can be seen in
minutes: the drops age (ripening ones ripen, old ones expire), the consumers' banks book the
day, the nightly jobs run in their scheduled order, and everyone but Sanne opens the app.

Refuses unless the demo marker exists (a real database never has one) and the settings allow
the demo (production settings refuse it).
"""

from __future__ import annotations

import time
from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from demo.clock import demo_refuse_unless_enabled
from demo.models import DemoState
from demo.nightly import Member, book, morning, night, ripen_and_age
from demo.story import demo_members


class Command(BaseCommand):
    help = "Advance the living demo by N days: drops ripen and expire, the nightly jobs run."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--days", type=int, default=1, help="how many days (1 to 30)")

    def handle(self, *args, days: int = 1, **options) -> None:
        demo_refuse_unless_enabled()
        if not 1 <= days <= 30:
            raise CommandError("--days must be between 1 and 30.")
        if not DemoState.objects.exists():
            raise CommandError(
                "This database holds no seeded demo (run `manage.py seed_demo` on a fresh "
                "database first); demo_advance never touches other data."
            )
        started = time.monotonic()
        for _ in range(days):
            with transaction.atomic():
                state = DemoState.objects.select_for_update().get()
                self._advance_one(state)
        self.stdout.write(
            self.style.SUCCESS(
                f"Advanced the demo by {days} day(s) in {time.monotonic() - started:.1f} s."
            )
        )

    def _advance_one(self, state: DemoState) -> None:
        members: list[Member] = demo_members()
        # The day the banks book: today for the first day advanced, then the days after it.
        day = timezone.localdate() + timedelta(days=state.days_advanced)
        state.days_advanced += 1
        self.stdout.write(f"Day {state.days_advanced} of the demo ({day}):")
        booked = book(members, [day])
        self.stdout.write(f"  banks: {booked} transactions booked on {day}")
        for line in night():
            self.stdout.write(f"  {line}")
        ripened, expired = ripen_and_age(1)
        self.stdout.write(f"  drops: {ripened} open drops a day older, {expired} expired")
        sanne = next(m for m in members if m.consumer.key == "sanne")
        morning(members, day=day, skip={sanne.user_id})
        self.stdout.write("  morning: the other consumers collected, grew, stole and watered")
        state.advanced_at = timezone.now()
        state.save(update_fields=["days_advanced", "advanced_at"])
