"""Sponsor campaigns in a chunk: what each transaction asks of a campaign, and what it gets.

A campaign's budget is one row that every chunk of the night spends from, so its row lock is
the one point where concurrent chunks wait for each other. The lock is therefore taken as late
as possible: ``campaign_requests`` assumes every request is granted, the awards, drops and
green actions are written with that, and only then ``campaign_grants`` locks the campaigns (in
id order: no deadlocks), takes the grams from their budgets and, in the rare chunk that finds
a budget running out, shrinks what it wrote before any ledger entry is made. A chunk holds the
lock for its last few statements instead of most of its work.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from django.db.models import F

from catalogue.services.campaigns import campaign_budget_take
from forest.scoring.sql import CAMPAIGNS, DROPS, GREEN_ACTIONS, PROFILES, RATES, USERS, ChunkSql

DORMANT_DAYS = 30
NEW_USER_DAYS = 30


def campaign_requests(
    sql: ChunkSql, p: dict, now: datetime, *, days: tuple[date | None, date | None]
) -> list[tuple[int, int]]:
    """Match the chunk's purchases (booked on ``days``, first and last) to campaigns and ask
    each for its bonus, optimistically. Returns ``(campaign id, grams requested)`` per
    campaign, in id order.
    """
    from catalogue.models import Campaign

    first_day, last_day = days
    if first_day is None:
        return []
    campaigns = list(
        Campaign.objects.filter(
            is_active=True, starts_on__lte=last_day, ends_on__gte=first_day,
            spent_grams__lt=F("budget_grams"),
        ).order_by("id")
    )  # fmt: skip
    if not campaigns:
        return []
    sql.temp(
        "score_cmatch", "campaign_id BIGINT NOT NULL, kind VARCHAR(8) NOT NULL, value TEXT NOT NULL"
    )
    matchers = [
        (c.id, kind, value)
        for c in campaigns
        for kind, values in (
            ("merchant", c.match_merchants),
            ("mcc", c.match_mccs),
            ("regex", [c.match_description_regex] if c.match_description_regex else []),
        )
        for value in values
    ]
    sql.cursor.executemany(
        "INSERT INTO score_cmatch (campaign_id, kind, value) VALUES (%s, %s, %s)", matchers
    )
    regex = sql.d.regex_match("s.description", "m.value")
    # The stage's purchases with the campaigns whose matchers they meet: a hash join per
    # matcher kind the campaigns use (one OR of the three kinds was a filter evaluated for
    # every purchase and matcher), the regexes tested against each purchase.
    tests = {
        "merchant": "m.value = s.merchant_norm",
        "mcc": "m.value = s.mcc",
        "regex": regex,
    }
    used = [kind for kind in tests if any(m[1] == kind for m in matchers)]
    if not used:
        return []  # no campaign names anything to match
    matched = " UNION ALL ".join(
        f"SELECT s.txn_id, s.user_id, s.booking_date, m.campaign_id FROM score_stage s "
        f"JOIN score_cmatch m ON m.kind = '{kind}' AND {tests[kind]} "
        "WHERE s.amount < 0 AND NOT s.is_reversal"
        for kind in used
    )
    # Self-reported rows (a pilot lets them earn) never draw on a sponsor's budget.
    self_reported = (
        " AND s.txn_id NOT IN (SELECT txn_id FROM score_selfrep)" if sql.self_reported else ""
    )
    p = {
        **p,
        "new_since": now - timedelta(days=NEW_USER_DAYS),
        "dormant_since": (now - timedelta(days=DORMANT_DAYS)).date(),
    }
    sql.temp(
        "score_campaign",
        "txn_id BIGINT PRIMARY KEY, campaign_id BIGINT NOT NULL, requested INTEGER NOT NULL, "
        "granted INTEGER NOT NULL",
    )
    # One campaign per transaction (the most generous), for money out in the window and segment.
    sql.run(
        f"""INSERT INTO score_campaign (txn_id, campaign_id, requested, granted)
            SELECT txn_id, campaign_id, requested, requested FROM (
                SELECT s.txn_id, c.id AS campaign_id,
                       CAST(c.bonus_grams + ROUND(COALESCE(a.base, 0) * (c.multiplier - 1))
                            AS INTEGER) AS requested,
                       ROW_NUMBER() OVER (
                           PARTITION BY s.txn_id
                           ORDER BY c.bonus_grams + COALESCE(a.base, 0) * (c.multiplier - 1) DESC,
                                    c.id
                       ) AS rn
                FROM ({matched}) s
                JOIN {CAMPAIGNS} c ON c.id = s.campaign_id
                LEFT JOIN score_award a ON a.txn_id = s.txn_id
                JOIN {USERS} u ON u.id = s.user_id
                LEFT JOIN {PROFILES} pr ON pr.user_id = s.user_id
                WHERE s.booking_date BETWEEN c.starts_on AND c.ends_on{self_reported}
                  AND (a.txn_id IS NULL OR a.action_type <> 'negative_signal')
                  AND (c.segment = 'all'
                       OR (c.segment = 'new_users' AND u.date_joined >= %(new_since)s)
                       OR (c.segment = 'city'
                           AND LOWER(COALESCE(pr.city, '')) = LOWER(c.segment_city))
                       OR (c.segment = 'dormant' AND NOT EXISTS (
                              SELECT 1 FROM {GREEN_ACTIONS} g
                              WHERE g.user_id = s.user_id AND g.grams > 0
                                AND g.booking_date >= %(dormant_since)s)))
            ) ranked WHERE rn = 1 AND requested > 0""",
        p,
    )
    # Purchases that only a campaign recognises become sponsor-product actions.
    sql.run(
        f"""INSERT INTO score_award (txn_id, user_id, rule_id, rule_version, action_type,
                                    booking_date, amount, currency, eur_amount, estimated, base)
           SELECT s.txn_id, s.user_id, NULL, NULL, 'sponsor_product', s.booking_date, s.amount,
                  s.currency, ROUND(ABS(s.amount) * fx.eur_per_unit, 2), 0, 0
           FROM score_campaign c
           JOIN score_stage s ON s.txn_id = c.txn_id
           JOIN {RATES} fx ON fx.currency = s.currency
           WHERE NOT EXISTS (SELECT 1 FROM score_award a WHERE a.txn_id = c.txn_id)"""
    )
    sql.run(
        """UPDATE score_award SET campaign_id = c.campaign_id, campaign_grams = c.requested
           FROM score_campaign c WHERE c.txn_id = score_award.txn_id"""
    )
    return [
        (int(campaign_id), int(requested))
        for campaign_id, requested in sql.rows(
            "SELECT campaign_id, SUM(requested) FROM score_campaign "
            "GROUP BY campaign_id ORDER BY campaign_id"
        )
    ]


def campaign_grants(sql: ChunkSql, p: dict, requests: list[tuple[int, int]]) -> None:
    """Take the requested grams from each campaign's budget under its row lock; where a budget
    cannot give them all, shrink the chunk's awards, actions and drops to what it gave.

    Runs after the drops and green actions are written and before the ledger entries.
    """
    short = False
    for campaign_id, requested in requests:
        # catalogue takes them under the campaign's row lock, here in id order (the requests
        # are sorted): concurrent chunks queue there and the budget holds.
        granted = campaign_budget_take(campaign_id, requested)
        if granted < requested:
            short = True
            # What is left goes out in transaction order; the last ones get less or none.
            sql.run(
                f"""UPDATE score_campaign SET granted = x.granted
                    FROM (SELECT txn_id,
                                 {sql.d.greatest}(0, {sql.d.least}(requested, %(granted)s - (
                                     SUM(requested) OVER (
                                         ORDER BY txn_id
                                         ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
                                     ) - requested))) AS granted
                          FROM score_campaign WHERE campaign_id = %(id)s) x
                    WHERE x.txn_id = score_campaign.txn_id""",
                {"granted": granted, "id": campaign_id},
            )
    if short:
        _shrink_to_grants(sql, p)


def _shrink_to_grants(sql: ChunkSql, p: dict) -> None:
    """Bring the chunk's awards, green actions and drops down to the granted campaign grams.

    Nothing has reached the ledger yet, so these are corrections of this transaction's own
    rows. A sponsor-product action left with no grams is dropped, as if never matched.
    """
    short = "SELECT txn_id FROM score_campaign WHERE granted < requested"
    sql.run(
        f"""UPDATE score_award SET
                campaign_grams = (SELECT c.granted FROM score_campaign c
                                  WHERE c.txn_id = score_award.txn_id),
                campaign_id = CASE WHEN (SELECT c.granted FROM score_campaign c
                                         WHERE c.txn_id = score_award.txn_id) > 0
                                   THEN campaign_id END
            WHERE txn_id IN ({short})"""
    )
    sql.run(
        f"""UPDATE {GREEN_ACTIONS} SET
                campaign_grams = (SELECT a.campaign_grams FROM score_award a
                                  WHERE a.txn_id = {GREEN_ACTIONS}.transaction_id),
                grams = base_grams + (SELECT a.campaign_grams FROM score_award a
                                      WHERE a.txn_id = {GREEN_ACTIONS}.transaction_id),
                campaign_id = (SELECT a.campaign_id FROM score_award a
                               WHERE a.txn_id = {GREEN_ACTIONS}.transaction_id)
            WHERE chunk_id = %(chunk)s AND reversed_at IS NULL AND transaction_id IN ({short})""",
        p,
    )
    sql.temp("score_dropfix", "drop_id BIGINT PRIMARY KEY, grams INTEGER NOT NULL")
    sql.run(
        f"""INSERT INTO score_dropfix (drop_id, grams)
            SELECT d.id, COALESCE(SUM(g.grams), 0)
            FROM {DROPS} d
            LEFT JOIN {GREEN_ACTIONS} g ON g.drop_id = d.id AND g.chunk_id = %(chunk)s
                 AND g.reversed_at IS NULL
            WHERE d.chunk_id = %(chunk)s AND d.id IN (
                SELECT drop_id FROM {GREEN_ACTIONS}
                WHERE chunk_id = %(chunk)s AND transaction_id IN ({short}))
            GROUP BY d.id""",
        p,
    )
    # Actions with no grams left point at no drop; empty drops and empty sponsor-product
    # actions go (they were written by this transaction and nothing refers to them yet).
    sql.run(
        f"""UPDATE {GREEN_ACTIONS} SET drop_id = NULL
            WHERE chunk_id = %(chunk)s AND grams = 0 AND transaction_id IN ({short})""",
        p,
    )
    sql.run(
        f"""DELETE FROM {GREEN_ACTIONS}
            WHERE chunk_id = %(chunk)s AND action_type = 'sponsor_product' AND grams = 0
              AND reversed_at IS NULL AND transaction_id IN ({short})""",
        p,
    )
    sql.run(
        f"""DELETE FROM score_award WHERE action_type = 'sponsor_product'
              AND base + campaign_grams = 0 AND txn_id IN ({short})"""
    )
    sql.run(
        f"""UPDATE {DROPS} SET
               grams = (SELECT f.grams FROM score_dropfix f WHERE f.drop_id = {DROPS}.id),
               remaining = (SELECT f.grams FROM score_dropfix f
                            WHERE f.drop_id = {DROPS}.id)
           WHERE id IN (SELECT drop_id FROM score_dropfix WHERE grams > 0)"""
    )
    sql.run(f"DELETE FROM {DROPS} WHERE id IN (SELECT drop_id FROM score_dropfix "
            "WHERE grams = 0)")  # fmt: skip
