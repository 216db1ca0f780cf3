"""Badges and challenges: awarded set-based, each exactly once.

Badges: each badge in ``BADGES`` is one ``SELECT user_id`` over green actions, trees or
transfers; the nightly run inserts its result into ``forest_userbadge`` with
``ON CONFLICT (user_id, badge) DO NOTHING RETURNING user_id`` — one statement per badge
whatever the number of users — and writes an inbox message (dedupe key
``badge:<code>:user:<id>``) for the rows that statement really inserted, in the same
transaction. Running it twice, or twice at once, awards and notifies once.

Challenges: per open challenge, one conditional ``UPDATE … SET completed_at … WHERE
completed_at IS NULL AND (progress) >= target RETURNING user_id`` completes the participants who
reached the target; only the transaction whose UPDATE won a row pays that row's bonus, as a
ledger entry keyed ``challenge:<id>:user:<id>`` (``ON CONFLICT DO NOTHING RETURNING``) plus
the balance upsert, never read-modify-write.

Badges are ``forest.services.badges``, challenges ``forest.services.challenges``, their inbox
messages ``forest.services.achievement_notices`` and the reads ``forest.selectors.achievements``;
this module runs them nightly.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from django.utils import timezone

from forest.services.badges import badges_award_all
from forest.services.challenges import challenges_evaluate_all


def achievements_nightly(
    *, now: datetime | None = None, progress: Callable[[str, int], None] | None = None
) -> dict[str, dict[str, int]]:
    """The nightly job: badges, then challenges."""
    now = now or timezone.now()
    return {
        "badges": badges_award_all(now=now, progress=progress),
        "challenges": challenges_evaluate_all(now=now, progress=progress),
    }
