"""Giving energy back: removed and re-scored transactions, and refunds at a scored merchant.

Both are ledger entries, never edits: a reversal takes the grams back from the open drop or,
once collected, from the balance; a refund claws back what the same rule awarded recently.
The balance may go negative; future energy pays it off (see docs/feeds.md).
"""

from __future__ import annotations

from forest.scoring.classify import ESTIMATED_GRAMS, best_rule_for
from forest.scoring.sql import DROPS, GREEN_ACTIONS, RATES, RULES, ChunkSql
from forest.services.ledger import ledger_append_select

REFUND_LOOKBACK_DAYS = 90  # a refund claws back what the same rule awarded in this window


def removed_reverse(sql: ChunkSql, p: dict) -> int:
    """Green actions whose transaction the bank removed (Plaid ``removed``, a replaced pending
    item) or changed (Plaid ``modified`` of a booked item), or that an operator asked to
    re-score, give their grams back: from the drop while it is open, else from the balance;
    nothing when the drop already expired uncollected. Changed and re-scored transactions are
    then scored again as they are now."""
    if not sql.rows("SELECT COUNT(*) FROM score_claimed")[0][0]:
        return 0  # the common night: nothing but newly booked transactions
    sql.temp(
        "score_removed",
        "ga_id BIGINT PRIMARY KEY, user_id BIGINT NOT NULL, grams INTEGER NOT NULL, "
        "drop_id BIGINT, account VARCHAR(16) NOT NULL, reason VARCHAR(16) NOT NULL",
    )
    sql.run(
        f"""INSERT INTO score_removed (ga_id, user_id, grams, drop_id, account, reason)
           SELECT g.id, g.user_id, g.grams, g.drop_id,
                  CASE WHEN d.status = 'expired' THEN 'none'
                       WHEN d.status = 'open' THEN 'drops'
                       ELSE 'balance' END,
                  CASE WHEN c.removed THEN 'removed'
                       WHEN c.reason = 'changed' THEN 'changed'
                       ELSE 'rescored' END
           FROM score_claimed c
           JOIN {GREEN_ACTIONS} g ON g.transaction_id = c.txn_id AND g.reversed_at IS NULL
           LEFT JOIN {DROPS} d ON d.id = g.drop_id
           WHERE c.removed OR c.reason = 'changed' OR g.rescore_requested_at IS NOT NULL"""
    )
    # A drop that cannot give back all its removed grams gives none: they come off the balance.
    sql.run(
        f"""UPDATE score_removed SET account = 'balance'
           WHERE account = 'drops' AND drop_id IN (
               SELECT r.drop_id FROM score_removed r
               JOIN {DROPS} d ON d.id = r.drop_id
               WHERE r.account = 'drops'
               GROUP BY r.drop_id, d.remaining
               HAVING SUM(r.grams) > d.remaining)"""
    )
    count = sql.rows("SELECT COUNT(*) FROM score_removed")[0][0]
    if not count:
        return 0
    sql.run(
        f"""UPDATE {DROPS} SET remaining = remaining - (
               SELECT SUM(r.grams) FROM score_removed r
               WHERE r.drop_id = {DROPS}.id AND r.account = 'drops')
           WHERE id IN (SELECT drop_id FROM score_removed WHERE account = 'drops')"""
    )
    ledger_append_select(
        sql,
        columns="user_id, account, kind, grams, idempotency_key, drop_id, green_action_id, "
        "memo, created_at",
        select="""SELECT r.user_id, r.account, 'reversal', -r.grams, 'reversal:ga:' || r.ga_id,
                         r.drop_id, r.ga_id, r.reason, %(now)s
                  FROM score_removed r WHERE r.account <> 'none' AND r.grams <> 0""",
        balances="SELECT user_id, account, -SUM(grams) FROM score_removed "
        "WHERE account <> 'none' AND grams <> 0 GROUP BY user_id, account",
        params=p,
    )
    sql.run(
        f"UPDATE {GREEN_ACTIONS} SET reversed_at = %(now)s, reversal_reason = ("
        f"SELECT r.reason FROM score_removed r WHERE r.ga_id = {GREEN_ACTIONS}.id) "
        "WHERE id IN (SELECT ga_id FROM score_removed)",
        p,
    )
    return count


def refunds_claw_back(sql: ChunkSql, p: dict) -> None:
    """A credit at a merchant a rule recognises claws back what that rule awarded recently.

    Never more than the user earned there in the last 90 days, net of earlier claw-backs. The
    claw-back leaves the spendable balance, which may go negative: future energy pays it off.
    """
    least, greatest = sql.d.least, sql.d.greatest
    p = {**p}
    sql.temp(
        "score_refund",
        "txn_id BIGINT PRIMARY KEY, user_id BIGINT NOT NULL, rule_id BIGINT NOT NULL, "
        "rule_version INTEGER, action_type VARCHAR(32) NOT NULL, booking_date DATE NOT NULL, "
        "amount NUMERIC NOT NULL, currency VARCHAR(3) NOT NULL, eur_amount NUMERIC NOT NULL, "
        "estimated INTEGER NOT NULL, clawback INTEGER NOT NULL",
    )
    best, best_params = best_rule_for(sql, "(s.amount > 0 OR s.is_reversal)")
    date_floor = sql.d.days_before("s.booking_date", REFUND_LOOKBACK_DAYS)
    sql.run(
        f"""INSERT INTO score_refund
            SELECT x.txn_id, x.user_id, x.rule_id, x.version, x.action_type, x.booking_date,
                   x.amount, x.currency, x.eur_amount, x.estimated,
                   {greatest}(0, {least}(x.estimated, x.available - (SUM(x.estimated) OVER (
                       PARTITION BY x.user_id, x.rule_id ORDER BY x.txn_id
                       ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) - x.estimated)))
            FROM (
                SELECT s.txn_id, s.user_id, r.id AS rule_id, r.version, r.action_type,
                       s.booking_date, s.amount, s.currency,
                       ROUND(ABS(s.amount) * fx.eur_per_unit, 2) AS eur_amount,
                       {ESTIMATED_GRAMS} AS estimated,
                       COALESCE((SELECT SUM(g.grams) FROM {GREEN_ACTIONS} g
                                 WHERE g.user_id = s.user_id AND g.rule_id = r.id
                                   AND g.reversed_at IS NULL
                                   AND g.booking_date >= {date_floor}), 0) AS available
                FROM ({best}) s
                JOIN {RULES} r ON r.id = s.rule_id
                JOIN {RATES} fx ON fx.currency = s.currency
                WHERE r.awards_energy
            ) x""",
        best_params,
    )
    sql.run(
        f"""INSERT INTO {GREEN_ACTIONS} (transaction_id, user_id, rule_id, rule_version,
                   campaign_id, action_type, booking_date, amount, currency, eur_amount,
                   estimated_grams, base_grams, campaign_grams, grams, drop_id, chunk_id,
                   created_at)
           SELECT f.txn_id, f.user_id, f.rule_id, f.rule_version, NULL, f.action_type,
                  f.booking_date, f.amount, f.currency, f.eur_amount, -f.estimated, -f.clawback,
                  0, -f.clawback, NULL, %(chunk)s, %(now)s
           FROM score_refund f WHERE f.clawback > 0
           ON CONFLICT (transaction_id) WHERE reversed_at IS NULL DO NOTHING""",
        p,
    )
    ledger_append_select(
        sql,
        columns="user_id, account, kind, grams, idempotency_key, green_action_id, memo, created_at",
        select=f"""SELECT g.user_id, 'balance', 'reversal', g.grams,
                          'refund:txn:' || g.transaction_id, g.id, 'refund', %(now)s
                   FROM {GREEN_ACTIONS} g JOIN score_refund f ON f.txn_id = g.transaction_id
                   WHERE f.clawback > 0""",
        balances="SELECT user_id, 'balance', -SUM(clawback) FROM score_refund "
        "WHERE clawback > 0 GROUP BY user_id",
        params=p,
    )
