"""Reads of green actions: what a transaction earned and why, and what is left of today's caps."""

from __future__ import annotations

from django.db.models import Max, Sum

from forest.models import GreenAction, GreenActionRule


def green_action_summaries(transaction_ids: list[int], *, locale: str = "en") -> dict[int, dict]:
    """The green action of each transaction that has one, in one query: what, how much, why."""
    if not transaction_ids:
        return {}
    actions = (
        GreenAction.objects.filter(transaction_id__in=transaction_ids)
        # Oldest first, so a re-scored transaction ends on its newest (live) action.
        .order_by("id")
        .select_related("rule", "campaign")
        .only(
            "transaction_id",
            "action_type",
            "grams",
            "base_grams",
            "campaign_grams",
            "estimated_grams",
            "rule_version",
            "reversed_at",
            "eur_amount",
            "matched_on",
            "rule__code",
            "rule__name_en",
            "rule__name_nl",
            "rule__method",
            "rule__source",
            "campaign__name",
        )
    )
    out: dict[int, dict] = {}
    for action in actions:
        rule = action.rule
        out[action.transaction_id] = {
            "action_type": action.action_type,
            "grams": action.grams,
            "estimated_grams": action.estimated_grams,
            "capped": action.base_grams < action.estimated_grams,
            "campaign": action.campaign.name if action.campaign else None,
            "campaign_grams": action.campaign_grams,
            "reversed": action.reversed_at is not None,
            # What recognised it: mcc, merchant, alias, description, merchant_id, category.
            "matched_on": action.matched_on or None,
            "rule": (
                {
                    "code": rule.code,
                    "name": rule.name(locale),
                    "version": action.rule_version,
                    "method": rule.method,
                    "source": rule.source,
                }
                if rule
                else None
            ),
        }
    return out


def caps_left_today(user_id: int, *, today) -> list[dict]:
    """Per action type: the daily cap and what is left of it for ``today`` (booking date)."""
    caps = dict(
        GreenActionRule.objects.filter(is_active=True, awards_energy=True)
        .values("action_type")
        .annotate(cap=Max("daily_cap_grams"))
        .values_list("action_type", "cap")
    )
    used = dict(
        GreenAction.objects.filter(user_id=user_id, booking_date=today, base_grams__gt=0)
        .values("action_type")
        .annotate(used=Sum("base_grams"))
        .values_list("action_type", "used")
    )
    return [
        {"action_type": action, "cap_grams": cap, "left_grams": max(0, cap - used.get(action, 0))}
        for action, cap in sorted(caps.items())
    ]
