"""Badges: each one SQL statement over green actions, trees or transfers, awarded once.

See ``forest.services.achievements`` for how awarding stays exactly-once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from django.db import connection, transaction
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.sql import adapt_params, current_dialect, table
from forest.models import (
    BadgeCode,
    EnergyTransfer,
    GreenAction,
    Tree,
    TreeContribution,
    UserBadge,
)
from forest.models.rules import ActionType
from forest.services.achievement_notices import _notify

CONTRIBUTIONS = table(TreeContribution)
GREEN_ACTIONS = table(GreenAction)
TRANSFERS = table(EnergyTransfer)
TREES = table(Tree)
USER_BADGES = table(UserBadge)

# A "live" green action: not reversed, positive grams (refund claw-backs are negative).
_LIVE = "ga.reversed_at IS NULL AND ga.grams > 0"


def _week_number(column: str) -> str:
    """Whole weeks since Monday 5 January 1970: equal for dates in the same ISO week."""
    return current_dialect().week_number(column)


@dataclass(frozen=True)
class Badge:
    code: str
    name: Promise
    description: Promise
    # Returns a SELECT of the user_id column of every user who has earned it (duplicates fine).
    rule: Callable[[], str]
    # For the API: the target of the cheap progress counter, if this badge has one.
    target: int | None = None


RAIL_TRIPS = 10
STREAK_WEEKS = 4
CO2_GRAMS = 5000

BADGES: tuple[Badge, ...] = (
    Badge(
        BadgeCode.FIRST_GREEN_ACTION,
        BadgeCode.FIRST_GREEN_ACTION.label,
        _("Your first green choice was recognised in your bank transactions."),
        lambda: f"SELECT ga.user_id FROM {GREEN_ACTIONS} ga WHERE {_LIVE}",
        target=1,
    ),
    Badge(
        BadgeCode.RAIL_10,
        BadgeCode.RAIL_10.label,
        _("You took the train ten times instead of the car."),
        lambda: (
            f"""SELECT ga.user_id FROM {GREEN_ACTIONS} ga
                    WHERE {_LIVE} AND ga.action_type = '{ActionType.RAIL.value}'
                    GROUP BY ga.user_id HAVING COUNT(*) >= {RAIL_TRIPS}"""
        ),
        target=RAIL_TRIPS,
    ),
    Badge(
        BadgeCode.WEEKLY_STREAK_4,
        BadgeCode.WEEKLY_STREAK_4.label,
        _(
            "At least one green choice every week for four weeks in a row. A quiet day "
            "never breaks a weekly streak."
        ),
        # Gaps and islands: consecutive weeks share week - row_number().
        lambda: (
            f"""WITH weeks AS (
                        SELECT DISTINCT ga.user_id, {_week_number("ga.booking_date")} AS wk
                        FROM {GREEN_ACTIONS} ga WHERE {_LIVE}
                    ), islands AS (
                        SELECT user_id,
                               wk - ROW_NUMBER() OVER (PARTITION BY user_id ORDER BY wk) AS grp
                        FROM weeks
                    )
                    SELECT user_id FROM islands GROUP BY user_id, grp
                    HAVING COUNT(*) >= {STREAK_WEEKS}"""
        ),
    ),
    Badge(
        BadgeCode.CO2_5KG,
        BadgeCode.CO2_5KG.label,
        _("Your green choices avoided an estimated 5 kg of CO2e."),
        # Energy earned (refund claw-backs subtract), never the spendable balance.
        lambda: (
            f"""SELECT ga.user_id FROM {GREEN_ACTIONS} ga WHERE ga.reversed_at IS NULL
                   GROUP BY ga.user_id HAVING SUM(ga.grams) >= """
            + str(CO2_GRAMS)
        ),
        target=CO2_GRAMS,
    ),
    Badge(
        BadgeCode.FIRST_TREE_PLANTED,
        BadgeCode.FIRST_TREE_PLANTED.label,
        _("A tree you grew has been planted for real."),
        lambda: (
            f"""SELECT t.owner_id AS user_id FROM {TREES} t
                   WHERE t.status = 'planted' AND t.team_id IS NULL"""
        ),
    ),
    Badge(
        BadgeCode.FIRST_CO_PLANTED,
        BadgeCode.FIRST_CO_PLANTED.label,
        _("A tree you grew with your team has been planted for real."),
        lambda: (
            f"""SELECT c.user_id FROM {CONTRIBUTIONS} c
                   JOIN {TREES} t ON t.id = c.tree_id
                   WHERE t.status = 'planted' AND t.team_id IS NOT NULL AND c.grams > 0"""
        ),
    ),
    Badge(
        BadgeCode.FIRST_WATERING,
        BadgeCode.FIRST_WATERING.label,
        _("You watered a friend's tree for the first time."),
        lambda: (
            f"""SELECT tr.from_user_id AS user_id FROM {TRANSFERS} tr
                   WHERE tr.kind = 'water'"""
        ),
    ),
)
BADGES_BY_CODE = {badge.code: badge for badge in BADGES}


@transaction.atomic
def badge_award(badge: Badge, *, now: datetime | None = None) -> int:
    """Award ``badge`` to everyone its rule finds who has not got it: one INSERT … SELECT.

    Returns how many users got it now; only they are notified.
    """
    now = now or timezone.now()
    sql = f"""INSERT INTO {USER_BADGES} (user_id, badge, earned_at)
              SELECT DISTINCT found.user_id, %s, %s FROM ({badge.rule()}) found
              WHERE found.user_id IS NOT NULL
              ON CONFLICT (user_id, badge) DO NOTHING
              RETURNING user_id"""
    with connection.cursor() as cursor:
        cursor.execute(sql, adapt_params([badge.code, now]))
        user_ids = sorted(row[0] for row in cursor.fetchall())

    def message(user_id: int) -> tuple[str, str, str]:
        return (
            gettext("New badge: %(name)s") % {"name": badge.name},
            str(badge.description),
            f"badge:{badge.code}:user:{user_id}",
        )

    _notify(user_ids, message)
    return len(user_ids)


def badges_award_all(
    *, now: datetime | None = None, progress: Callable[[str, int], None] | None = None
) -> dict[str, int]:
    """Run every badge's statement (one transaction each); returns new awards per badge."""
    now = now or timezone.now()
    awarded = {}
    for badge in BADGES:
        awarded[badge.code] = badge_award(badge, now=now)
        if progress:
            progress(badge.code, awarded[badge.code])
    return awarded
