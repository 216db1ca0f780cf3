"""Reads of green actions: what a transaction earned and why, and what is left of today's caps."""

from __future__ import annotations

from django.db.models import CharField, Max, Sum, Value

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


def caps_left_today(user_id: int, *, today) -> list[dict]:
    """Per action type: the daily cap and what is left of it for ``today`` (booking date),
    never more than what is left of the daily total, which comes last as ``"total"`` (when
    set). Two queries: the total cap rides along with the rules' caps."""
    total_cap = (
        EnergyLimits.objects.filter(pk=EnergyLimits.SINGLETON_PK)
        .annotate(action_type=Value(TOTAL_CAP_ROW, output_field=CharField()))
        .values_list("action_type", "daily_total_cap_grams")
        .order_by()
    )
    rows = list(
        GreenActionRule.objects.filter(is_active=True, awards_energy=True)
        .values("action_type")
        .annotate(cap=Max("daily_cap_grams"))
        .values_list("action_type", "cap")
        .order_by()
        .union(total_cap, all=True)
    )
    caps = {action: cap for action, cap in rows if action != TOTAL_CAP_ROW}
    totals = [cap for action, cap in rows if action == TOTAL_CAP_ROW]
    # No saved row: the shipped default applies (EnergyLimits.current() without a query).
    total = totals[0] if totals else EnergyLimits().daily_total_cap_grams
    used = dict(
        GreenAction.objects.filter(user_id=user_id, booking_date=today, base_grams__gt=0)
        .values("action_type")
        .annotate(used=Sum("base_grams"))
        .values_list("action_type", "used")
    )
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
