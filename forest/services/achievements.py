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
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db import IntegrityError, connection, transaction
from django.db.models import Count, Q, Sum
from django.utils import timezone, translation
from django.utils.functional import Promise
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.sql import adapt_params, current_dialect, table
from forest.models import (
    BadgeCode,
    Challenge,
    ChallengeParticipation,
    EnergyLedgerEntry,
    EnergyTransfer,
    GreenAction,
    Tree,
    TreeContribution,
    UserBadge,
)
from forest.models.energy import Account, EntryKind
from forest.models.rules import ActionType
from forest.services.energy import balances_add

CONTRIBUTIONS = table(TreeContribution)
GREEN_ACTIONS = table(GreenAction)
LEDGER = table(EnergyLedgerEntry)
PARTICIPATIONS = table(ChallengeParticipation)
TRANSFERS = table(EnergyTransfer)
TREES = table(Tree)
USER_BADGES = table(UserBadge)

# A challenge is evaluated until this many days after its window closed: bank bookings arrive
# late and scoring is T+1, so an action booked on the last day can be scored days later.
CHALLENGE_GRACE_DAYS = 7
# Rows per ledger insert (parameter limits of SQLite stay far away).
_BATCH = 500


# --------------------------------------------------------------------------------------------
# The badge catalogue
# --------------------------------------------------------------------------------------------

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


def _locales(user_ids: list[int]) -> dict[int, str]:
    from accounts.models import Profile

    locales: dict[int, str] = {}
    for start in range(0, len(user_ids), _BATCH):
        part = user_ids[start : start + _BATCH]
        locales.update(Profile.objects.filter(user_id__in=part).values_list("user_id", "locale"))
    return locales


def _notify(user_ids: list[int], message: Callable[[int], tuple[str, str, str]]) -> None:
    """One inbox message per user, in the user's language; ``message`` gives (title, body,
    dedupe key) and is called inside the user's language."""
    from accounts.models import Notification
    from accounts.services.users import notify

    locales = _locales(user_ids)
    for user_id in user_ids:
        with translation.override(locales.get(user_id, "nl")):
            title, body, key = message(user_id)
            notify(
                user_id=user_id,
                kind=Notification.Kind.SYSTEM,
                title=title,
                body=body,
                dedupe_key=key,
                topic="energy",  # the user's switch for energy news gates push and e-mail
            )


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


def badges_for_user(user_id: int) -> list[dict]:
    """Every badge, earned or not, with cheap progress. Two queries."""
    earned = dict(UserBadge.objects.filter(user_id=user_id).values_list("badge", "earned_at"))
    live = Q(reversed_at__isnull=True, grams__gt=0)
    counts = GreenAction.objects.filter(user_id=user_id, reversed_at__isnull=True).aggregate(
        actions=Count("id", filter=live),
        rail=Count("id", filter=live & Q(action_type=ActionType.RAIL)),
        grams=Sum("grams"),
    )
    current = {
        BadgeCode.FIRST_GREEN_ACTION: counts["actions"] or 0,
        BadgeCode.RAIL_10: counts["rail"] or 0,
        BadgeCode.CO2_5KG: max(counts["grams"] or 0, 0),
    }
    out = []
    for badge in BADGES:
        earned_at = earned.get(badge.code)
        progress = None
        if badge.target is not None:
            value = badge.target if earned_at else min(current.get(badge.code, 0), badge.target)
            progress = {"current": value, "target": badge.target}
        out.append(
            {
                "code": badge.code,
                "name": str(badge.name),
                "description": str(badge.description),
                "earned": earned_at is not None,
                "earned_at": earned_at,
                "progress": progress,
            }
        )
    return out


# --------------------------------------------------------------------------------------------
# Challenges
# --------------------------------------------------------------------------------------------


class ChallengeNotOpen(Exception):
    """No such challenge, or it is not open for joining today."""


def challenge_join(
    *, user_id: int, challenge_id: int, today: date | None = None
) -> tuple[ChallengeParticipation, bool]:
    """Join an open challenge; joining again changes nothing. Returns (participation, new)."""
    today = today or timezone.localdate()
    challenge = Challenge.objects.open_on(today).filter(pk=challenge_id).first()
    if challenge is None:
        raise ChallengeNotOpen
    existing = ChallengeParticipation.objects.filter(challenge=challenge, user_id=user_id).first()
    if existing:
        return existing, False
    try:
        with transaction.atomic():
            joined = ChallengeParticipation.objects.create(
                challenge=challenge, user_id=user_id, joined_at=timezone.now()
            )
    except IntegrityError:  # a double tap racing itself
        return ChallengeParticipation.objects.get(challenge=challenge, user_id=user_id), False
    return joined, True


def _progress(challenge: Challenge, per_day: dict[tuple[str, date], tuple[int, int]]) -> int:
    total = 0
    for (action_type, day), (count, grams) in per_day.items():
        if (
            action_type in challenge.action_types
            and challenge.starts_on <= day <= challenge.ends_on
        ):
            total += count if challenge.target_count else grams
    return max(total, 0)


def challenges_for_user(
    user_id: int, *, today: date | None = None, only_id: int | None = None
) -> list[dict]:
    """Open challenges (or only one) with the user's progress: three queries at most."""
    today = today or timezone.localdate()
    open_ = Challenge.objects.open_on(today).select_related("campaign__sponsor")
    if only_id is not None:
        open_ = open_.filter(pk=only_id)
    challenges = list(open_)
    if not challenges:
        return []
    joined = {
        p.challenge_id: p
        for p in ChallengeParticipation.objects.filter(
            user_id=user_id, challenge_id__in=[c.id for c in challenges]
        )
    }
    types = sorted({t for c in challenges for t in c.action_types})
    per_day: dict[tuple[str, date], tuple[int, int]] = {}
    rows = (
        GreenAction.objects.filter(
            user_id=user_id,
            reversed_at__isnull=True,
            action_type__in=types,
            booking_date__gte=min(c.starts_on for c in challenges),
            booking_date__lte=max(c.ends_on for c in challenges),
        )
        .values("action_type", "booking_date")
        .annotate(n=Count("id", filter=Q(grams__gt=0)), g=Sum("grams"))
    )
    for row in rows:
        per_day[(row["action_type"], row["booking_date"])] = (row["n"], row["g"] or 0)
    locale = translation.get_language() or "en"
    lang = "nl" if locale.startswith("nl") else "en"
    out = []
    for c in challenges:
        participation = joined.get(c.id)
        out.append(
            {
                "id": c.id,
                "code": c.code,
                "title": c.title_for(lang),
                "text": c.text_for(lang),
                "action_types": c.action_types,
                "target_kind": "count" if c.target_count else "grams",
                "target": c.target,
                "progress": min(_progress(c, per_day), c.target),
                "starts_on": c.starts_on,
                "ends_on": c.ends_on,
                "bonus_grams": c.bonus_grams,
                "sponsor": c.campaign.sponsor.name if c.campaign_id else None,
                "joined": participation is not None,
                "completed_at": participation.completed_at if participation else None,
            }
        )
    return out


def _credit_bonus(challenge: Challenge, user_ids: list[int], now: datetime) -> list[int]:
    """Append the bonus entries; returns the users whose entry was new (and so paid)."""
    paid: list[int] = []
    for start in range(0, len(user_ids), _BATCH):
        part = user_ids[start : start + _BATCH]
        values = ", ".join(["(%s, %s, %s, %s, %s, %s, %s)"] * len(part))
        params: list = []
        for user_id in part:
            params.extend(
                [
                    user_id,
                    Account.BALANCE.value,
                    EntryKind.EARN.value,
                    challenge.bonus_grams,
                    f"challenge:{challenge.id}:user:{user_id}",
                    f"challenge {challenge.code} completed"[:200],
                    now,
                ]
            )
        with connection.cursor() as cursor:
            cursor.execute(
                f"""INSERT INTO {LEDGER}
                        (user_id, account, kind, grams, idempotency_key, memo, created_at)
                    VALUES {values}
                    ON CONFLICT (idempotency_key) DO NOTHING
                    RETURNING user_id""",
                adapt_params(params),
            )
            paid.extend(row[0] for row in cursor.fetchall())
    balances_add({(user_id, Account.BALANCE.value): challenge.bonus_grams for user_id in paid})
    return paid


@transaction.atomic
def challenge_evaluate(challenge: Challenge, *, now: datetime | None = None) -> int:
    """Complete the participants who reached the target, and pay their bonus, once.

    One conditional UPDATE: of two concurrent evaluations only one sees a row still
    uncompleted (the other waits on the row lock, then finds ``completed_at`` set).
    """
    now = now or timezone.now()
    types = [t for t in challenge.action_types if t in ActionType.values]
    if not types:
        return 0
    if challenge.target_count:
        measure, live, target = "COUNT(*)", "AND ga.grams > 0", challenge.target_count
    else:
        measure, live, target = "COALESCE(SUM(ga.grams), 0)", "", challenge.target_grams
    placeholders = ", ".join(["%s"] * len(types))
    sql = f"""UPDATE {PARTICIPATIONS}
              SET completed_at = %s, bonus_grams = %s
              WHERE challenge_id = %s AND completed_at IS NULL
                AND (SELECT {measure} FROM {GREEN_ACTIONS} ga
                     WHERE ga.user_id = {PARTICIPATIONS}.user_id
                       AND ga.action_type IN ({placeholders})
                       AND ga.booking_date >= %s AND ga.booking_date <= %s
                       AND ga.reversed_at IS NULL {live}) >= %s
              RETURNING user_id"""
    params = [
        now,
        challenge.bonus_grams,
        challenge.id,
        *types,
        challenge.starts_on,
        challenge.ends_on,
        target,
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, adapt_params(params))
        user_ids = sorted(row[0] for row in cursor.fetchall())
    if not user_ids:
        return 0
    paid = set(_credit_bonus(challenge, user_ids, now)) if challenge.bonus_grams else set()

    def message(user_id: int) -> tuple[str, str, str]:
        title = challenge.title_for(translation.get_language() or "en")
        if user_id in paid:
            body = gettext(
                "You completed the challenge. %(grams)s g of bonus energy is in your balance."
            ) % {"grams": challenge.bonus_grams}
        else:
            body = gettext("You completed the challenge. Well done!")
        return (
            gettext("Challenge completed: %(title)s") % {"title": title},
            body,
            f"challenge:{challenge.id}:user:{user_id}:completed",
        )

    _notify(user_ids, message)
    return len(user_ids)


def challenges_evaluate_all(
    *, now: datetime | None = None, progress: Callable[[str, int], None] | None = None
) -> dict[str, int]:
    """Evaluate every active challenge that started and closed at most a grace period ago."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    completed: dict[str, int] = defaultdict(int)
    challenges = Challenge.objects.filter(
        is_active=True,
        starts_on__lte=today,
        ends_on__gte=today - timedelta(days=CHALLENGE_GRACE_DAYS),
    ).order_by("id")
    for challenge in challenges:
        completed[challenge.code] = challenge_evaluate(challenge, now=now)
        if progress:
            progress(challenge.code, completed[challenge.code])
    return dict(completed)


def achievements_nightly(
    *, now: datetime | None = None, progress: Callable[[str, int], None] | None = None
) -> dict[str, dict[str, int]]:
    """The nightly job: badges, then challenges."""
    now = now or timezone.now()
    return {
        "badges": badges_award_all(now=now, progress=progress),
        "challenges": challenges_evaluate_all(now=now, progress=progress),
    }
