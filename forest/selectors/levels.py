"""Levels and green streaks, read together with the balances in ONE query.

The home screen has a fixed query budget, so this replaces its balances query rather than
adding to it. Streaks are gaps-and-islands over the user's distinct green days (and weeks) in
SQL: the database groups runs of consecutive days, Python only picks from a handful of rows.
"""

from __future__ import annotations

import datetime

from django.db import connection

from forest.models import EnergyBalance, GreenAction, LevelThreshold, Tree

#: Day 0 of the day/week numbering: a Monday, so weeks are ISO weeks (Monday to Sunday).
_EPOCH = datetime.date(2000, 1, 3)


def _day_index_sql(column: str) -> str:
    """A date column as whole days since ``_EPOCH``, in this database's dialect."""
    if connection.vendor == "postgresql":
        return f"({column} - DATE '{_EPOCH.isoformat()}')"
    return f"CAST(julianday({column}) - julianday('{_EPOCH.isoformat()}') AS INTEGER)"


def _figures_sql() -> str:
    ga = GreenAction._meta.db_table
    balance = EnergyBalance._meta.db_table
    tree = Tree._meta.db_table
    level = LevelThreshold._meta.db_table
    day = _day_index_sql("booking_date")
    # A green day: at least one live green action booked that day (claw-backs are negative).
    return f"""
    WITH days AS (
        SELECT DISTINCT {day} AS d FROM {ga}
        WHERE user_id = %(user)s AND reversed_at IS NULL AND estimated_grams > 0
          AND booking_date <= %(today)s
    ),
    weeks AS (SELECT DISTINCT d / 7 AS d FROM days),
    day_runs AS (
        SELECT MAX(d) AS last, COUNT(*) AS n
        FROM (SELECT d, d - ROW_NUMBER() OVER (ORDER BY d) AS g FROM days) AS x GROUP BY g
    ),
    week_runs AS (
        SELECT MAX(d) AS last, COUNT(*) AS n
        FROM (SELECT d, d - ROW_NUMBER() OVER (ORDER BY d) AS g FROM weeks) AS x GROUP BY g
    )
    SELECT 'balance', account, '', grams, 0, 0 FROM {balance} WHERE user_id = %(user)s
    UNION ALL
    SELECT 'trees', '', '', COUNT(*), 0, 0 FROM {tree}
        WHERE owner_id = %(user)s AND matured_at IS NOT NULL
    UNION ALL
    SELECT 'day', '', '', COALESCE(MAX(n), 0),
        COALESCE(MAX(CASE WHEN last >= %(day)s - 1 THEN n END), 0), 0 FROM day_runs
    UNION ALL
    SELECT 'week', '', '', COALESCE(MAX(n), 0),
        COALESCE(MAX(CASE WHEN last >= %(week)s - 1 THEN n END), 0), 0 FROM week_runs
    UNION ALL
    SELECT 'level', name_en, name_nl, level, min_energy_grams, min_trees FROM {level}
    """


def home_figures(user_id: int, *, today: datetime.date, locale: str = "en") -> dict:
    """Balances (as ``balances_for_user``), the level and the streaks, in one query."""
    day_index = (today - _EPOCH).days
    params: dict[str, int | datetime.date] = {
        "user": user_id,
        "today": today,
        "day": day_index,
        "week": day_index // 7,
    }
    with connection.cursor() as cursor:
        cursor.execute(_figures_sql(), params)
        rows = cursor.fetchall()
    balances = {"drops": 0, "balance": 0, "tree": 0}
    trees = 0
    streaks: dict[str, dict[str, int]] = {}
    levels: list[tuple[int, str, int, int]] = []
    for kind, label, label_nl, a, b, c in rows:
        if kind == "balance":
            balances[label] = int(a)
        elif kind == "trees":
            trees = int(a)
        elif kind in ("day", "week"):
            streaks[kind] = {"current": int(b), "best": int(a)}
        else:
            levels.append(
                (int(a), label_nl if locale == "nl" and label_nl else label, int(b), int(c))
            )
    lifetime = balances["drops"] + balances["balance"] + balances["tree"]
    return {
        "balances": balances,
        "level": level_progress(sorted(levels), energy_grams=lifetime, trees=trees),
        "streaks": {
            "daily": streaks.get("day", {"current": 0, "best": 0}),
            "weekly": streaks.get("week", {"current": 0, "best": 0}),
        },
    }


def level_progress(
    levels: list[tuple[int, str, int, int]], *, energy_grams: int, trees: int
) -> dict:
    """The highest level whose energy AND tree thresholds are met, and how far the next is.

    ``progress_percent`` is the smaller of the energy and tree progress from this level's
    thresholds to the next's (both are needed); 100 at the top level.
    """
    current = None
    following = None
    for row in levels:
        _number, _name, min_energy, min_trees = row
        if energy_grams >= min_energy and trees >= min_trees and following is None:
            current = row
        elif following is None:
            following = row
    body: dict = {
        "level": current[0] if current else 0,
        "name": current[1] if current else "",
        "energy_grams": energy_grams,
        "trees": trees,
        "next_level": None,
        "energy_grams_to_next": 0,
        "trees_to_next": 0,
        "progress_percent": 100 if following is None else 0,
    }
    if following is not None:
        base_energy = current[2] if current else 0
        base_trees = current[3] if current else 0
        parts = []
        for have, base, need in (
            (energy_grams, base_energy, following[2]),
            (trees, base_trees, following[3]),
        ):
            parts.append(
                100 if need <= base else max(0, min(100, (have - base) * 100 // (need - base)))
            )
        body.update(
            next_level=following[0],
            energy_grams_to_next=max(0, following[2] - energy_grams),
            trees_to_next=max(0, following[3] - trees),
            progress_percent=min(parts),
        )
    return body
