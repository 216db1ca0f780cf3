"""Scoring's temp tables: kept for the database session between chunks (PostgreSQL), never
under transaction pooling, and never on SQLite; always empty once a chunk has committed, but
for the rule lookup, which keeps the rules it was made from and is made again when they
change."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection

from core.sql import is_postgres
from forest.models import GreenAction, GreenActionRule
from forest.services.rules import rule_save
from tests.accounts.factories import LinkedFeedFactory, TransactionFactory
from tests.forest.helpers import assert_ledger_consistent, score_all

# The rule lookup: the current rules, kept with a fingerprint of them (ON COMMIT PRESERVE ROWS).
RULE_LOOKUP = {"score_lookup", "score_rulekey", "score_rules_loaded"}

# Real commits, so ON COMMIT fires; the rule catalogue is seeded again for each test.
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("catalogue")]


def _temp_tables() -> dict[str, int]:
    """This session's temp tables and their row counts."""
    with connection.cursor() as cursor:
        if is_postgres():
            cursor.execute(
                "SELECT relname FROM pg_class "
                "WHERE relnamespace = pg_my_temp_schema() AND relkind = 'r'"
            )
        else:
            cursor.execute("SELECT name FROM sqlite_temp_master WHERE type = 'table'")
        names = sorted(row[0] for row in cursor.fetchall())
        counts = {}
        for name in names:
            cursor.execute(f"SELECT COUNT(*) FROM {name}")
            counts[name] = cursor.fetchone()[0]
    return counts


def _night(merchant: str) -> None:
    feed = LinkedFeedFactory()
    TransactionFactory(feed=feed, merchant_name=merchant, amount=Decimal("-12.40"), mcc="4112")
    score_all()


def test_scoring_keeps_its_tables_for_the_session_and_empties_them_at_commit(settings):
    settings.CANOPY_DATABASE_POOLING = ""
    _night("NS")
    kept = _temp_tables()
    if is_postgres():
        assert {"score_stage", "score_award", "score_claimed"} | RULE_LOOKUP <= set(kept)
        # ON COMMIT DELETE ROWS: nothing of the chunk left behind ...
        assert {kept[name] for name in set(kept) - RULE_LOOKUP} == {0}
        # ... but the rules it was scored with, once each.
        assert kept["score_rules_loaded"] == 1
        assert kept["score_rulekey"] == GreenActionRule.objects.filter(is_active=True).count()
        assert "score_rx" not in kept  # its columns vary with the regex rules: made per chunk
    else:
        assert kept == {}
    # A second night in the same session reuses them and scores just as well.
    _night("NS")
    assert GreenAction.objects.filter(grams__gt=0).count() == 2
    assert _temp_tables() == kept
    assert_ledger_consistent()


def test_a_rule_changed_between_two_chunks_of_one_session_is_scored_as_changed(settings):
    # given a session that scored a night with the rules as seeded
    settings.CANOPY_DATABASE_POOLING = ""
    _night("NS")
    first = GreenAction.objects.get()
    assert first.grams > 0
    # when the rule that recognised it stops awarding energy, and the next chunk runs
    rule = first.rule
    assert rule is not None
    rule.awards_energy = False
    rule_save(rule=rule)
    _night("NS")
    # then the second transaction is scored by the changed rule, not the session's old copy
    second = GreenAction.objects.exclude(pk=first.pk).get()
    assert (second.rule_id, second.rule_version) == (rule.pk, rule.version)
    assert second.grams == 0
    assert_ledger_consistent()


def test_under_transaction_pooling_no_table_outlives_its_chunk(settings):
    settings.CANOPY_DATABASE_POOLING = "transaction"
    connection.close()  # a fresh session: nothing from earlier tests
    _night("NS")
    assert _temp_tables() == {}
    assert GreenAction.objects.filter(grams__gt=0).count() == 1
    assert_ledger_consistent()
