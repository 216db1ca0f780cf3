"""Re-scoring after a rule fix: old actions are reversed and their transactions scored anew.

Both halves are ledger entries (a ``reversal`` of the old grams, an ``earn`` of the new), so the
history stays complete and the balance stays the sum of its entries. The difference is settled
where the energy is now (``forest.scoring.clawbacks``, docs/energy.md): in the old drop while
it is open, else in the balance, which may go into debt; collected energy never moves back into
a new drop.
"""

from __future__ import annotations

from datetime import date

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from accounts.models import Transaction
from accounts.services.outbox import outbox_add
from forest.models import GreenAction, ScoringRun
from forest.scoring.jobs import scoring_run_create


@transaction.atomic
def rescore_request(
    *,
    date_from: date,
    date_to: date,
    user_id: int | None = None,
    rule_ids: list[int] | None = None,
    only_outdated: bool = True,
) -> tuple[int, ScoringRun]:
    """Mark live actions booked in [date_from, date_to] for re-scoring and create the run.

    ``only_outdated`` limits it to actions awarded by an older version of their rule.
    Returns how many actions were marked, and the run that will re-score them.
    """
    actions = GreenAction.objects.filter(
        reversed_at__isnull=True,
        rescore_requested_at__isnull=True,
        booking_date__gte=date_from,
        booking_date__lte=date_to,
        grams__gte=0,  # refunds are re-derived from their own transaction
    )
    if user_id:
        actions = actions.filter(user_id=user_id)
    if rule_ids:
        actions = actions.filter(rule_id__in=rule_ids)
    if only_outdated:
        actions = actions.filter(Q(rule__isnull=False) & ~Q(rule_version=F("rule__version")))
    txn_ids = list(actions.values_list("transaction_id", flat=True))
    marked = GreenAction.objects.filter(
        transaction_id__in=txn_ids, reversed_at__isnull=True
    ).update(rescore_requested_at=timezone.now())
    outbox_add(Transaction.objects.filter(id__in=txn_ids), reason="rescore")
    run = scoring_run_create(triggered_by="rescore", only_user_id=user_id)
    return marked, run
