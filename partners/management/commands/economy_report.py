"""The economy as the real ledger shows it: pace of active users, trees, sponsors' runways."""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError

from catalogue.models import Sponsor
from forest.selectors.economy import energy_pace
from partners.selectors.runway import forest_runways


class Command(BaseCommand):
    help = (
        "Report the last N days of the real ledger: active users, energy per active user per "
        "day (p10/p50/p90), days to a tree per species at the median pace, trees per 1,000 "
        "active users per month, and the date each brand forest's budget runs out."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--days", type=int, default=30, help="the period, in days (30)")
        parser.add_argument(
            "--json", action="store_true", help="print one JSON object on stdout, nothing else"
        )

    def handle(self, *args, days: int, json: bool, **options) -> None:
        if not 1 <= days <= 3660:
            raise CommandError("--days must be between 1 and 3660.")
        pace = energy_pace(days=days)
        runways = forest_runways(days=days)
        sponsors = dict(Sponsor.objects.values_list("id", "name"))
        if json:
            self.stdout.write(_dumps(pace, runways, sponsors))
            return
        out = self.stdout.write
        out(f"Economy over the last {days} days")
        out(f"  active users: {pace.active_users}")
        out(
            f"  energy per active user per day: p10 {pace.p10} g, p50 {pace.p50} g, "
            f"p90 {pace.p90} g"
        )
        out("  days to a tree at the median pace:")
        for code, n in pace.days_to_tree.items():
            out(f"    {code:<14} {'-' if n is None else n}")
        out(f"  trees per 1,000 active users per month: {pace.trees_per_1000_per_month}")
        out("  brand forest budgets:")
        if not runways:
            out("    (no open brand forests)")
        for r in runways:
            when = r.runs_out_on.isoformat() if r.runs_out_on else "no trees funded in the period"
            out(
                f"    {r.name} ({sponsors.get(r.sponsor_id, '?')}): {r.budget_available} "
                f"{r.currency} left, {r.spend_per_day} {r.currency}/day, runs out: {when}"
            )


def _dumps(pace, runways, sponsors) -> str:
    return json.dumps(
        {
            "days": pace.days,
            "active_users": pace.active_users,
            "grams_per_active_user_per_day": {"p10": pace.p10, "p50": pace.p50, "p90": pace.p90},
            "days_to_tree": pace.days_to_tree,
            "trees_per_1000_active_users_per_month": pace.trees_per_1000_per_month,
            "forests": [
                {
                    "id": r.forest_id,
                    "name": r.name,
                    "sponsor": sponsors.get(r.sponsor_id),
                    "currency": r.currency,
                    "budget_available": str(r.budget_available),
                    "spend_per_day": str(r.spend_per_day),
                    "runs_out_on": r.runs_out_on.isoformat() if r.runs_out_on else None,
                }
                for r in runways
            ],
        }
    )
