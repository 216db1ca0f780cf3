"""Run the nightly scoring in this process with a progress bar, or a dry run that awards nothing."""

from __future__ import annotations

from datetime import date

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from forest.scoring.jobs import scoring_run_create, scoring_run_inline


class Command(BaseCommand):
    help = "Score unscored booked transactions into green energy (the nightly job, in-process)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--since", type=date.fromisoformat, help="only bookings on or after")
        parser.add_argument("--user", type=int, help="only this user id")
        parser.add_argument(
            "--dry-run", action="store_true", help="print what would be awarded; change nothing"
        )

    def handle(self, *args, since=None, user=None, dry_run=False, **options) -> None:
        run = scoring_run_create(triggered_by="command", since=since, only_user_id=user)
        chunks = run.chunks.count()
        bar = tqdm(
            total=chunks, unit="chunk", desc="scoring", disable=chunks <= 1, file=self.stderr
        )

        def progress(chunk, result) -> None:
            bar.update(1)
            if result:
                bar.set_postfix(txns=result.transactions_scored, grams=result.grams_awarded)

        try:
            total = scoring_run_inline(run, dry_run=dry_run, progress=progress)
        except Exception as exc:
            raise CommandError(f"scoring failed: {exc}") from exc
        finally:
            bar.close()

        if dry_run:
            self.stdout.write("Dry run: nothing was awarded. Would award:")
            for award in total.awards:
                self.stdout.write(
                    f"  user {award['user']:>6} txn {award['transaction']:>8} "
                    f"{award['action_type']:<16} {award['rule'] or '-':<28} {award['grams']:>6} g"
                    + (" (capped)" if award["capped"] < award["estimated"] else "")
                )
        self.stdout.write(
            f"{'Would score' if dry_run else 'Scored'} {total.transactions_scored} transactions: "
            f"{total.green_actions if not dry_run else len(total.awards)} green actions, "
            f"{total.grams_awarded} g, {total.reversals} reversals, {total.skipped} skipped."
        )
        for example in total.skipped_examples[:10]:
            self.stdout.write(
                f"  skipped transaction {example['transaction']}: {example['reason']}"
            )
