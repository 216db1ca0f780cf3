"""Simulate a year of six kinds of customer through the real scoring engine; keep nothing."""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from forest.services.economy_simulation import economy_simulate, iter_table, results_as_json


class Command(BaseCommand):
    help = (
        "Score a simulated period of six personas (train commuter, tram + bike, second-hand, "
        "EV, car + occasional train, frequent flyer) with the real engine, in a transaction "
        "that is rolled back; print energy per active day and days to each species' first tree."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--days", type=int, default=365, help="nights to simulate (365)")
        parser.add_argument("--seed", type=int, default=2026, help="random seed (2026)")
        parser.add_argument(
            "--json", action="store_true", help="print one JSON object on stdout, nothing else"
        )

    def handle(self, *args, days: int, seed: int, json: bool, **options) -> None:
        if not 1 <= days <= 3660:
            raise CommandError("--days must be between 1 and 3660.")
        bar = tqdm(total=days, unit="night", desc="simulating", file=self.stderr)

        def progress(night: int, total: int) -> None:
            bar.update(night - bar.n)

        try:
            results = economy_simulate(days=days, seed=seed, progress=progress)
        finally:
            bar.close()
        if json:
            self.stdout.write(_dumps(results_as_json(results)))
            return
        self.stdout.write(
            f"{days} nights; days to the first tree per species ('-': not in the period)."
        )
        for line in iter_table(results):
            self.stdout.write(line)


def _dumps(data: dict) -> str:
    return json.dumps(data, ensure_ascii=False)
