"""Giving energy back, exactly: removed, changed and re-scored transactions, and refunds.

The rule (docs/energy.md): every difference is settled where the energy is now. While the drop
that holds it is open, in the drop; once collected, in the spendable balance (which may go
negative: future energy pays it off); once the drop expired uncollected, nowhere (it is gone
already). Collected energy never moves back into a drop, and no drop of 0 g is left behind.

A chunk does it in three stages, so that it takes its locks in the documented order (chunk →
campaign → energy drop → energy balance, ``core.locks``):

1. ``removed_reverse`` (before the stage): the old actions are marked reversed and remembered in
   ``score_removed``; no energy moves yet. Changed and re-scored transactions are then scored
   again as they are now.
2. ``rescored_settle_in_place`` and ``refunds_decide`` (after the campaign grants): a re-scored
   action whose old action had a drop points at that old drop instead of a new one, and a
   refund is matched with the purchase it refunds.
3. ``clawbacks_apply``: every difference becomes one row of ``score_settle``; ONE conditional
   UPDATE takes the drops' share (only from drops still open that still cover it: a collect
   that won the drop first makes the row fall back to the balance, and a collect that comes
   after waits for the row lock and credits what is left); then the ledger entries and the
   balances, through the one ledger writer.
"""

from __future__ import annotations

from forest.scoring.classify import ESTIMATED_GRAMS, best_rule_for
from forest.scoring.sql import DROPS, GREEN_ACTIONS, RATES, RULES, ChunkSql
from forest.services.ledger import ledger_append_select

REFUND_LOOKBACK_DAYS = 90  # a refund claws back what the same rule awarded in this window

# Where a difference is settled, from the state of the drop that holds (or held) the energy.
_WHERE = """CASE WHEN d.id IS NULL THEN 'balance'
                 WHEN d.status = 'open' THEN 'drops'
                 WHEN d.status = 'expired' THEN 'none'
                 ELSE 'balance' END"""


def removed_reverse(sql: ChunkSql, p: dict) -> int:
    """Green actions whose transaction the bank removed (Plaid ``removed``, a replaced pending
    item) or changed (Plaid ``modified`` of a booked item), or that an operator asked to
    re-score, are marked reversed; ``clawbacks_apply`` gives their grams back later in the
    chunk. Returns how many."""
    if not sql.rows("SELECT COUNT(*) FROM score_claimed")[0][0]:
        return 0  # the common night: nothing but newly booked transactions
    sql.temp(
        "score_removed",
        "ga_id BIGINT PRIMARY KEY, txn_id BIGINT NOT NULL, user_id BIGINT NOT NULL, "
        "grams INTEGER NOT NULL, drop_id BIGINT, reason VARCHAR(16) NOT NULL",
    )
    sql.run(
        f"""INSERT INTO score_removed (ga_id, txn_id, user_id, grams, drop_id, reason)
           SELECT g.id, g.transaction_id, g.user_id, g.grams, g.drop_id,
                  CASE WHEN c.removed THEN 'removed'
                       WHEN c.reason = 'changed' THEN 'changed'
                       ELSE 'rescored' END
           FROM score_claimed c
           JOIN {GREEN_ACTIONS} g ON g.transaction_id = c.txn_id AND g.reversed_at IS NULL
           WHERE c.removed OR c.reason = 'changed' OR g.rescore_requested_at IS NOT NULL"""
    )
    sql.temp(
        "score_moved",
        "ga_id BIGINT PRIMARY KEY, grams INTEGER NOT NULL, new_drop BIGINT NOT NULL, "
        "old_drop BIGINT NOT NULL",
    )
    count = sql.rows("SELECT COUNT(*) FROM score_removed")[0][0]
    if not count:
        return 0
    sql.run(
        f"UPDATE {GREEN_ACTIONS} SET reversed_at = %(now)s, reversal_reason = ("
        f"SELECT r.reason FROM score_removed r WHERE r.ga_id = {GREEN_ACTIONS}.id) "
        "WHERE id IN (SELECT ga_id FROM score_removed)",
        p,
    )
    return count


def rescored_settle_in_place(sql: ChunkSql, p: dict) -> None:
    """A changed or re-scored transaction whose old action had a drop keeps that drop: its new
    action points at it, and the grams the award step put in a new drop come out of it again
    (a new drop left empty is deleted; nothing refers to it yet). ``clawbacks_apply`` then
    settles old against new where the energy is, so a collected 113 kg never returns to an
    unripe drop."""
    moved = sql.run(
        f"""INSERT INTO score_moved (ga_id, grams, new_drop, old_drop)
           SELECT g.id, g.grams, g.drop_id, r.drop_id
           FROM score_removed r
           JOIN {GREEN_ACTIONS} g ON g.transaction_id = r.txn_id AND g.chunk_id = %(chunk)s
                AND g.reversed_at IS NULL
           WHERE r.drop_id IS NOT NULL AND g.drop_id IS NOT NULL AND g.grams > 0""",
        p,
    )
    if not moved:
        return
    sql.run(
        f"""UPDATE {DROPS} SET
               grams = grams - (SELECT SUM(m.grams) FROM score_moved m
                                WHERE m.new_drop = {DROPS}.id),
               remaining = remaining - (SELECT SUM(m.grams) FROM score_moved m
                                        WHERE m.new_drop = {DROPS}.id)
           WHERE id IN (SELECT new_drop FROM score_moved)"""
    )
    sql.run(
        f"""UPDATE {GREEN_ACTIONS} SET drop_id = (
               SELECT m.old_drop FROM score_moved m WHERE m.ga_id = {GREEN_ACTIONS}.id)
           WHERE id IN (SELECT ga_id FROM score_moved)"""
    )
    sql.run(
        f"DELETE FROM {DROPS} WHERE chunk_id = %(chunk)s AND grams <= 0 "
        "AND id IN (SELECT new_drop FROM score_moved)",
        p,
    )


def refunds_decide(sql: ChunkSql, p: dict) -> None:
    """A credit at a merchant a rule recognises claws back what its purchase earned.

    The refund is matched with the purchase it most likely refunds (the same user and rule in
    the last 90 days: the smallest purchase at least as large, else the largest) and takes back
    at most what that purchase earned after caps and campaigns, pro rata for a partial refund;
    never more than the rule's net awards in the window either. Its claw-back is settled where
    the purchase's energy is (``clawbacks_apply``): a purchase scored in the same run is still
    in its drop, so the two net out inside it.
    """
    least, greatest = sql.d.least, sql.d.greatest
    sql.temp(
        "score_refund",
        "txn_id BIGINT PRIMARY KEY, user_id BIGINT NOT NULL, rule_id BIGINT NOT NULL, "
        "rule_version INTEGER, action_type VARCHAR(32) NOT NULL, booking_date DATE NOT NULL, "
        "amount NUMERIC NOT NULL, currency VARCHAR(3) NOT NULL, eur_amount NUMERIC NOT NULL, "
        "estimated INTEGER NOT NULL, available INTEGER NOT NULL, purchase_id BIGINT, "
        "purchase_drop BIGINT, wanted INTEGER NOT NULL DEFAULT 0, "
        "clawback INTEGER NOT NULL DEFAULT 0",
    )
    best, best_params = best_rule_for(sql, "(s.amount > 0 OR s.is_reversal)")
    date_floor = sql.d.days_before("s.booking_date", REFUND_LOOKBACK_DAYS)
    window = sql.d.days_before("f.booking_date", REFUND_LOOKBACK_DAYS)
    sql.run(
        f"""INSERT INTO score_refund (txn_id, user_id, rule_id, rule_version, action_type,
                   booking_date, amount, currency, eur_amount, estimated, available)
            SELECT s.txn_id, s.user_id, r.id, r.version, r.action_type, s.booking_date,
                   s.amount, s.currency, ROUND(ABS(s.amount) * fx.eur_per_unit, 2),
                   {ESTIMATED_GRAMS},
                   COALESCE((SELECT SUM(g.grams) FROM {GREEN_ACTIONS} g
                             WHERE g.user_id = s.user_id AND g.rule_id = r.id
                               AND g.reversed_at IS NULL
                               AND g.booking_date >= {date_floor}), 0)
            FROM ({best}) s
            JOIN {RULES} r ON r.id = s.rule_id
            JOIN {RATES} fx ON fx.currency = s.currency
            WHERE r.awards_energy""",
        best_params,
    )
    # The purchase it refunds: the smallest at least as large, else the largest, latest first.
    sql.run(
        f"""UPDATE score_refund SET purchase_id = x.id
           FROM (SELECT f.txn_id, g.id, ROW_NUMBER() OVER (
                        PARTITION BY f.txn_id
                        ORDER BY CASE WHEN g.eur_amount >= f.eur_amount THEN 0 ELSE 1 END,
                                 CASE WHEN g.eur_amount >= f.eur_amount
                                      THEN g.eur_amount ELSE -g.eur_amount END,
                                 g.id DESC) AS n
                 FROM score_refund f
                 JOIN {GREEN_ACTIONS} g ON f.available > 0
                      AND g.user_id = f.user_id AND g.rule_id = f.rule_id
                      AND g.reversed_at IS NULL AND g.grams > 0 AND g.booking_date >= {window}
                ) x
           WHERE x.txn_id = score_refund.txn_id AND x.n = 1"""
    )
    # What that purchase earned, pro rata for a partial refund (whole cents, rounded down).
    cents = "CAST(ROUND({} * 100) AS BIGINT)"
    sql.run(
        f"""UPDATE score_refund SET
               purchase_drop = (SELECT g.drop_id FROM {GREEN_ACTIONS} g
                                WHERE g.id = score_refund.purchase_id),
               wanted = COALESCE((
                   SELECT {least}(score_refund.estimated, CASE
                       WHEN g.eur_amount <= score_refund.eur_amount THEN g.grams
                       ELSE CAST(g.grams AS BIGINT) * {cents.format("score_refund.eur_amount")}
                            / {cents.format("g.eur_amount")} END)
                   FROM {GREEN_ACTIONS} g WHERE g.id = score_refund.purchase_id), 0)"""
    )
    # Several refunds in one chunk share the rule's net awards, in transaction order.
    sql.run(
        f"""UPDATE score_refund
           SET clawback = {greatest}(0, {least}(x.wanted, x.available - x.prior_wanted))
           FROM (SELECT f.txn_id, f.wanted, f.available,
                        SUM(f.wanted) OVER (
                            PARTITION BY f.user_id, f.rule_id ORDER BY f.txn_id
                            ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
                        ) - f.wanted AS prior_wanted
                 FROM score_refund f) x
           WHERE x.txn_id = score_refund.txn_id"""
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


SETTLE_COLUMNS = (
    "user_id BIGINT NOT NULL, drop_id BIGINT, account VARCHAR(16) NOT NULL, "
    "kind VARCHAR(16) NOT NULL, grams INTEGER NOT NULL, idempotency_key VARCHAR(64) NOT NULL, "
    "ga_id BIGINT, memo VARCHAR(200) NOT NULL"
)


def clawbacks_apply(sql: ChunkSql, p: dict, *, reversals: bool, refunds: bool) -> None:
    """Settle the chunk's reversals, re-scores and refunds: decide where each difference goes,
    take the drops' share in one conditional UPDATE, then write the entries and balances."""
    if not (reversals or refunds):
        return
    if not clawbacks_decide(sql, p, reversals=reversals, refunds=refunds):
        return
    clawbacks_take_from_drops(sql)
    ledger_append_select(
        sql,
        columns="user_id, account, kind, grams, idempotency_key, drop_id, green_action_id, "
        "memo, created_at",
        select="""SELECT s.user_id, s.account, s.kind, s.grams, s.idempotency_key, s.drop_id,
                         s.ga_id, s.memo, %(now)s
                  FROM score_settle s WHERE s.account <> 'none'""",
        balances="SELECT user_id, account, SUM(grams) FROM score_settle "
        "WHERE account <> 'none' GROUP BY user_id, account",
        params=p,
    )


def clawbacks_decide(sql: ChunkSql, p: dict, *, reversals: bool, refunds: bool) -> int:
    """One ``score_settle`` row per difference, with where it goes as the drops are now.
    Returns how many rows (the drops' share is only decided here; the UPDATE checks again)."""
    sql.temp("score_settle", SETTLE_COLUMNS)
    if reversals:
        # The old actions give their grams back ...
        sql.run(
            f"""INSERT INTO score_settle
               SELECT r.user_id, r.drop_id, {_WHERE}, 'reversal', -r.grams,
                      'reversal:ga:' || r.ga_id, r.ga_id, r.reason
               FROM score_removed r LEFT JOIN {DROPS} d ON d.id = r.drop_id
               WHERE r.grams <> 0"""
        )
        # ... and the new actions that kept their old drop earn where that energy is.
        sql.run(
            f"""INSERT INTO score_settle
               SELECT g.user_id, g.drop_id, {_WHERE}, 'earn', g.grams,
                      'earn:ga:' || g.id, g.id, r.reason
               FROM score_moved m
               JOIN {GREEN_ACTIONS} g ON g.id = m.ga_id
               JOIN score_removed r ON r.txn_id = g.transaction_id
               JOIN {DROPS} d ON d.id = m.old_drop"""
        )
    if refunds:
        # The refund's own action, by the one-live-action-per-transaction index (only the few
        # refunds that claw back look it up); none if it had a live action already.
        sql.run(
            f"""INSERT INTO score_settle
               SELECT f.user_id, f.purchase_drop, {_WHERE}, 'reversal', -f.clawback,
                      'refund:txn:' || f.txn_id, f.ga_id, 'refund'
               FROM (SELECT r.*, (SELECT g.id FROM {GREEN_ACTIONS} g
                                  WHERE g.transaction_id = r.txn_id AND g.reversed_at IS NULL
                                    AND g.chunk_id = %(chunk)s) AS ga_id
                     FROM score_refund r WHERE r.clawback > 0) f
               LEFT JOIN {DROPS} d ON d.id = f.purchase_drop
               WHERE f.ga_id IS NOT NULL""",
            p,
        )
    return sql.rows("SELECT COUNT(*) FROM score_settle")[0][0]


def clawbacks_take_from_drops(sql: ChunkSql) -> None:
    """THE conditional statement: each drop's share leaves it only if the drop is still open and
    still holds it, checked on the row as locked (a concurrent collect either committed first,
    and the drop is no longer open, or waits for this chunk and credits what is left). Rows
    whose drop did not give its share are settled in the balance instead."""
    sql.temp("score_dropdelta", "drop_id BIGINT PRIMARY KEY, grams INTEGER NOT NULL")
    sql.run(
        """INSERT INTO score_dropdelta (drop_id, grams)
           SELECT drop_id, SUM(grams) FROM score_settle
           WHERE account = 'drops' GROUP BY drop_id"""
    )
    delta = f"(SELECT t.grams FROM score_dropdelta t WHERE t.drop_id = {DROPS}.id)"
    taken = sql.rows(
        f"""UPDATE {DROPS} SET remaining = remaining + {delta}
           WHERE id IN (SELECT drop_id FROM score_dropdelta)
             AND status = 'open' AND remaining + {delta} >= 0
           RETURNING id"""
    )
    sql.temp("score_taken", "drop_id BIGINT PRIMARY KEY")
    sql.insert_rows("score_taken", ["bigint"], taken)
    sql.run("DELETE FROM score_dropdelta WHERE drop_id IN (SELECT drop_id FROM score_taken)")
    sql.run(
        """UPDATE score_settle SET account = 'balance'
           WHERE account = 'drops' AND drop_id IN (SELECT drop_id FROM score_dropdelta)"""
    )
