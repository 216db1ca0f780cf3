"""Why a transaction earned energy, or why it did not: one status and one reason code each.

Built from what is already loaded for the transaction list (its green action summary, and the
feed's trust, consent day and the outbox flag that ``accounts.selectors.transactions.
transactions_with_earning_facts`` annotates), so it costs no query of its own. The trust and
window tests are ``forest.scoring.eligibility``'s, the ones the scoring applies.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from forest.scoring.eligibility import (
    BEFORE_CONSENT_WINDOW,
    SANDBOX_SOURCE,
    SELF_REPORTED_SOURCE,
    ineligible_reason,
)

EARNED = "earned"
NOT_EARNING = "not_earning"
NOT_SCORED_YET = "not_scored_yet"

REASON_TEXTS = {
    SELF_REPORTED_SOURCE: _(
        "It comes from a file you uploaded yourself: self-reported transactions are shown "
        "but do not earn energy."
    ),
    SANDBOX_SOURCE: _("It comes from the sandbox bank, which is for demos only."),
    BEFORE_CONSENT_WINDOW: _(
        "It was booked before you linked this account: only transactions from a few days "
        "before your consent on earn energy."
    ),
    "cap_reached": _("The cap for this kind of action was reached."),
    "rule_awards_no_energy": _("It is recognised, but this kind of action earns no energy."),
    "refund_claw_back": _("A refund: it takes back energy an earlier purchase earned."),
    "reversed": _("The energy it earned was given back (the bank changed or removed it)."),
    "pending_at_bank": _("The bank has not booked it yet."),
    "awaiting_scoring": _("It is scored tonight."),
    "no_matching_rule": _("No green action was recognised in it."),
}


def earning_for(transaction, summary: dict | None) -> dict:
    """``{"status", "reason", "detail"}`` for a transaction annotated with the earning facts,
    given its green action summary (``green_action_summaries``) or None."""
    status, reason = _status_and_reason(transaction, summary)
    return {
        "status": status,
        "reason": reason,
        "detail": str(REASON_TEXTS[reason]) if reason else None,
    }


def _status_and_reason(transaction, summary: dict | None) -> tuple[str, str | None]:
    if summary is not None and not summary.get("reversed"):
        grams = summary.get("grams") or 0
        if grams > 0:
            return EARNED, None
        if grams < 0:
            return NOT_EARNING, "refund_claw_back"
        if summary.get("capped"):
            return NOT_EARNING, "cap_reached"
        return NOT_EARNING, "rule_awards_no_energy"
    day = transaction.booking_date or transaction.transaction_date
    blocked = ineligible_reason(
        trust=transaction.feed_trust, day=day, consented_on=transaction.feed_consented_on
    )
    if blocked:
        return NOT_EARNING, blocked
    if transaction.status == "pending":
        return NOT_SCORED_YET, "pending_at_bank"
    if transaction.awaiting_scoring:
        return NOT_SCORED_YET, "awaiting_scoring"
    if summary is not None:
        return NOT_EARNING, "reversed"
    return NOT_EARNING, "no_matching_rule"
