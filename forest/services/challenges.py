"""Challenges: joining one, and completing the participants who reached the target, paying
their bonus once (see ``forest.services.achievements``)."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable
from datetime import date, datetime, timedelta

from django.db import IntegrityError, connection, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext

from core.sql import adapt_params, table
from forest.models import Challenge, ChallengeParticipation, GreenAction
from forest.models.energy import Account, EntryKind
from forest.models.rules import ActionType
from forest.services.achievement_notices import _notify
from forest.services.ledger import ledger_append_once

GREEN_ACTIONS = table(GreenAction)
PARTICIPATIONS = table(ChallengeParticipation)

# A challenge is evaluated until this many days after its window closed: bank bookings arrive
# late and scoring is T+1, so an action booked on the last day can be scored days later.
CHALLENGE_GRACE_DAYS = 7


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


def _credit_bonus(challenge: Challenge, user_ids: list[int], now: datetime) -> list[int]:
    """Append the bonus entries; returns the users whose entry was new (and so paid)."""
    appended = ledger_append_once(
        rows=[
            (
                user_id,
                Account.BALANCE.value,
                EntryKind.EARN.value,
                challenge.bonus_grams,
                f"challenge:{challenge.id}:user:{user_id}",
                None,
            )
            for user_id in user_ids
        ],
        now=now,
        memo=f"challenge {challenge.code} completed",
    )
    return [user_id for user_id, *_ in appended]


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
    target: int | None
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


def _window(repeats: str, day: date) -> tuple[date, date]:
    """The week (Monday-Sunday) or calendar month that contains ``day``."""
    if repeats == Challenge.Repeats.WEEKLY:
        start = day - timedelta(days=day.weekday())
        return start, start + timedelta(days=6)
    start = day.replace(day=1)
    following = (start + timedelta(days=32)).replace(day=1)
    return start, following - timedelta(days=1)


def challenges_roll(*, today: date) -> list[str]:
    """Open the current window of every rolling challenge whose window has ended: a copy coded
    ``<series>-<start YYYYMMDD>``, so running twice (or missing nights) never makes two."""
    created = []
    ended = Challenge.objects.filter(
        is_active=True,
        ends_on__lt=today,
        ends_on__gte=today - timedelta(days=62),  # only recent ones: the series' latest
    ).exclude(repeats="")
    for challenge in ended.order_by("id"):
        start, end = _window(challenge.repeats, today)
        series = re.sub(r"-\d{8}$", "", challenge.code)
        code = f"{series}-{start:%Y%m%d}"
        fields = {
            f.name: getattr(challenge, f.name)
            for f in Challenge._meta.concrete_fields
            if f.name not in ("id", "code", "starts_on", "ends_on", "created_at", "updated_at")
        }
        _obj, made = Challenge.objects.get_or_create(
            code=code, defaults={**fields, "starts_on": start, "ends_on": end}
        )
        if made:
            created.append(code)
    return created


def challenges_evaluate_all(
    *, now: datetime | None = None, progress: Callable[[str, int], None] | None = None
) -> dict[str, int]:
    """Evaluate every active challenge that started and closed at most a grace period ago."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    completed: dict[str, int] = defaultdict(int)
    challenges_roll(today=today)
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
