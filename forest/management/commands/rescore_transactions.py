"""Re-score a date range after a rule fix: old actions reversed, new ones earned, as entries."""

from __future__ import annotations

from datetime import date

from django.core.management.base import BaseCommand, CommandError

from forest.models import GreenActionRule
from forest.scoring.jobs import scoring_run_inline
from forest.services.rescoring import rescore_request


class Command(BaseCommand):
    help = "Re-score green actions booked in a date range (by default only outdated rule versions)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--from", dest="date_from", type=date.fromisoformat, required=True)
        parser.add_argument("--to", dest="date_to", type=date.fromisoformat, required=True)
        parser.add_argument("--user", type=int, help="only this user id")
        parser.add_argument("--rule", action="append", default=[], help="rule code (repeatable)")
        parser.add_argument(
            "--all-versions",
            action="store_true",
            help="also re-score actions awarded by the rule's current version",
        )

    def handle(self, *args, date_from, date_to, user=None, rule=(), all_versions=False, **opts):
        if date_to < date_from:
            raise CommandError("--to must not be before --from")
        rule_ids = None
        if rule:
            found = dict(GreenActionRule.objects.filter(code__in=rule).values_list("code", "id"))
            missing = sorted(set(rule) - set(found))
            if missing:
                raise CommandError(f"unknown rule code(s): {', '.join(missing)}")
            rule_ids = list(found.values())
        marked, run = rescore_request(
            date_from=date_from,
            date_to=date_to,
            user_id=user,
            rule_ids=rule_ids,
            only_outdated=not all_versions,
        )
        result = scoring_run_inline(run)
        self.stdout.write(
            f"Re-scored {marked} actions: {result.reversals} reversed, "
            f"{result.green_actions} new actions, {result.grams_awarded} g awarded."
        )
