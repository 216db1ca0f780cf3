"""Reads of badges and challenges: what the app lists, with the user's progress."""

from __future__ import annotations

from datetime import date

from django.db.models import Count, Q, Sum
from django.utils import timezone, translation

from forest.models import BadgeCode, Challenge, ChallengeParticipation, GreenAction, UserBadge
from forest.models.rules import ActionType
from forest.services.badges import BADGES


def badges_for_user(user_id: int) -> list[dict]:
    """Every badge, earned or not, with cheap progress. Two queries."""
    earned = dict(UserBadge.objects.filter(user_id=user_id).values_list("badge", "earned_at"))
    live = Q(reversed_at__isnull=True, grams__gt=0)
    counts = GreenAction.objects.filter(user_id=user_id, reversed_at__isnull=True).aggregate(
        actions=Count("id", filter=live),
        rail=Count("id", filter=live & Q(action_type=ActionType.RAIL)),
        grams=Sum("grams"),
    )
    current: dict[str, int] = {
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
                "sponsor": c.campaign.sponsor.name if c.campaign else None,
                "joined": participation is not None,
                "completed_at": participation.completed_at if participation else None,
            }
        )
    return out
