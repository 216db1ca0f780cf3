"""Run the nightly fraud sweep in this process and print what each detector raised."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from forest.models import FraudSignal
from forest.services.fraud import fraud_sweep


class Command(BaseCommand):
    help = "Raise or refresh fraud signals for review in the admin (the nightly sweep)."

    def handle(self, *args, **options) -> None:
        labels = dict(FraudSignal.Kind.choices)
        self.stdout.write(f"Sweeping {len(labels)} detectors…")

        def progress(kind: str, count: int) -> None:
            self.stdout.write(f"  {labels[kind]}: {count} open signals raised or refreshed")

        counts = fraud_sweep(progress=progress)
        total_open = FraudSignal.objects.filter(status=FraudSignal.Status.OPEN).count()
        self.stdout.write(
            self.style.SUCCESS(
                f"Done: {sum(counts.values())} signals raised or refreshed, "
                f"{total_open} open for review."
            )
        )
