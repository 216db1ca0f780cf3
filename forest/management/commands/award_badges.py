"""Award badges and evaluate challenges in this process (the nightly job), with progress."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from forest.services.badges import BADGES, badges_award_all
from forest.services.challenges import challenges_evaluate_all


class Command(BaseCommand):
    help = "Award badges and complete challenges, paying their bonus once (the nightly job)."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--badges-only", action="store_true", help="Skip the challenge evaluation."
        )

    def handle(self, *args, **options) -> None:
        self.stdout.write(f"Awarding {len(BADGES)} badges…")

        def badge_progress(code: str, count: int) -> None:
            self.stdout.write(f"  badge {code}: {count} new")

        badges = badges_award_all(progress=badge_progress)
        completed: dict[str, int] = {}
        if not options["badges_only"]:
            self.stdout.write("Evaluating open challenges…")

            def challenge_progress(code: str, count: int) -> None:
                self.stdout.write(f"  challenge {code}: {count} completed")

            completed = challenges_evaluate_all(progress=challenge_progress)
        self.stdout.write(
            self.style.SUCCESS(
                f"Done: {sum(badges.values())} badges awarded, "
                f"{sum(completed.values())} challenges completed."
            )
        )
