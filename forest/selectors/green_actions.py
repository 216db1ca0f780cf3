"""Reads of green actions: what a transaction earned and why, and what is left of today's caps."""

from __future__ import annotations

from django.db import connection

from core.sql import table
from forest.models import EnergyLimits, GreenAction, GreenActionRule


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


#: The ``caps_today`` row of the per-user daily total cap (``forest.EnergyLimits``).
TOTAL_CAP_ROW = "total"


def _caps_sql() -> str:
    rules = table(GreenActionRule)
    limits = table(EnergyLimits)
    actions = table(GreenAction)
    return f"""
    SELECT 'rule', action_type, MAX(daily_cap_grams) FROM {rules}
        WHERE is_active AND awards_energy GROUP BY action_type
    UNION ALL
    SELECT 'total', '', daily_total_cap_grams FROM {limits} WHERE id = %(limits)s
    UNION ALL
    SELECT 'used', action_type, SUM(base_grams) FROM {actions}
        WHERE user_id = %(user)s AND booking_date = %(today)s AND base_grams > 0
        GROUP BY action_type
    """


def caps_left_today(user_id: int, *, today) -> list[dict]:
    """Per action type: the daily cap and what is left of it for ``today`` (booking date),
    never more than what is left of the daily total, which comes last as ``"total"`` (when
    set). One query: the rules' caps, the total cap and today's use ride together."""
    params = {"limits": EnergyLimits.SINGLETON_PK, "user": user_id, "today": today}
    with connection.cursor() as cursor:
        cursor.execute(_caps_sql(), params)
        rows = cursor.fetchall()
    caps = {action: cap for kind, action, cap in rows if kind == "rule"}
    totals = [cap for kind, _action, cap in rows if kind == "total"]
    used = {action: int(grams) for kind, action, grams in rows if kind == "used"}
    # No saved row: the shipped default applies (EnergyLimits.current() without a query).
    total = totals[0] if totals else EnergyLimits().daily_total_cap_grams
    day_left = None if total is None else max(0, total - sum(used.values()))
    out = [
        {
            "action_type": action,
            "cap_grams": cap,
            "left_grams": max(0, cap - used.get(action, 0))
            if day_left is None
            else min(day_left, max(0, cap - used.get(action, 0))),
        }
        for action, cap in sorted(caps.items())
    ]
    if total is not None and day_left is not None:
        out.append({"action_type": TOTAL_CAP_ROW, "cap_grams": total, "left_grams": day_left})
    return out
