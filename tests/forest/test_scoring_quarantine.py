"""One bad regex cannot stop the night: its campaign or rule is switched off with the reason,
the chunk is scored again without it, a run that fails says so, and lost chunks are resent."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from catalogue.models import Campaign
from forest import tasks
from forest.models import GreenAction, GreenActionRule, RuleMatcher, ScoringChunk, ScoringRun
from forest.scoring import jobs
from forest.scoring.jobs import scoring_run_create, scoring_run_inline
from forest.services.rules import rule_save
from tests.accounts.factories import LinkedFeedFactory, TransactionFactory
from tests.forest.helpers import assert_ledger_consistent
from tests.partners.factories import CampaignFactory

pytestmark = pytest.mark.django_db


def _campaign_with_unchecked_regex(pattern: str) -> Campaign:
    """A campaign whose regex was saved before validation (or around it)."""
    campaign = CampaignFactory(match_merchants=[], match_description_regex="refill", bonus_grams=70)
    Campaign.objects.filter(pk=campaign.pk).update(match_description_regex=pattern)
    return campaign


def _score_night(bad_pattern: str):
    bad = _campaign_with_unchecked_regex(bad_pattern)
    good = CampaignFactory(
        match_merchants=[], match_description_regex="biologisch", bonus_grams=250
    )
    feed = LinkedFeedFactory()
    TransactionFactory(feed=feed, description="AH biologische melk", amount=Decimal("-2.10"))
    TransactionFactory(feed=feed, description="eco refill zeep", amount=Decimal("-3.00"))
    run = scoring_run_create(triggered_by="test")
    scoring_run_inline(run)
    run.refresh_from_db()
    bad.refresh_from_db()
    return run, bad, good


def test_a_campaign_whose_regex_fails_is_quarantined_and_the_night_goes_on():
    run, bad, good = _score_night("refill(")
    assert run.status == ScoringRun.Status.DONE
    assert not bad.is_active
    assert any(m in bad.quarantine_reason for m in ("missing )", "parentheses"))
    assert GreenAction.objects.get(campaign=good).campaign_grams == 250
    assert not GreenAction.objects.filter(campaign=bad).exists()
    assert_ledger_consistent()


@pytest.mark.postgres
def test_postgres_quarantines_a_repetition_count_python_accepts():
    run, bad, good = _score_night("refill{1,300}")
    assert run.status == ScoringRun.Status.DONE
    assert not bad.is_active
    assert "invalid repetition count" in bad.quarantine_reason
    assert GreenAction.objects.get(campaign=good).campaign_grams == 250


def test_a_rule_whose_regex_fails_is_quarantined_and_the_others_still_score():
    common = {
        "action_type": "public_transport", "estimate_kind": "fixed", "method": "m",
        "source": "s", "daily_cap_grams": 100_000, "name_en": "r", "name_nl": "r",
    }  # fmt: skip
    bad = rule_save(
        rule=GreenActionRule(
            code="bad", priority=1, fixed_grams=5, match_description_regex="x", **common
        )
    )
    GreenActionRule.objects.filter(pk=bad.pk).update(match_description_regex="ov(chip")
    good = rule_save(
        rule=GreenActionRule(
            code="good", priority=2, fixed_grams=40, match_merchants=["canopy testwinkel"], **common
        )
    )
    feed = LinkedFeedFactory()
    TransactionFactory(feed=feed, merchant_name="Canopy Testwinkel", amount=Decimal("-3.20"))
    run = scoring_run_create(triggered_by="test")
    scoring_run_inline(run)
    run.refresh_from_db()
    bad.refresh_from_db()
    assert run.status == ScoringRun.Status.DONE
    assert not bad.is_active
    assert any(m in bad.quarantine_reason for m in ("missing )", "parentheses"))
    assert not RuleMatcher.objects.filter(rule=bad).exists()
    assert GreenAction.objects.get().rule_id == good.id


def test_a_chunk_failing_for_another_reason_marks_the_run_failed(monkeypatch):
    TransactionFactory(feed=LinkedFeedFactory(), merchant_name="GVB")
    run = scoring_run_create(triggered_by="test")

    def broken(chunk_id, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(jobs, "score_chunk", broken)
    with pytest.raises(RuntimeError):
        scoring_run_inline(run)
    run.refresh_from_db()
    assert run.status == ScoringRun.Status.FAILED
    assert "disk full" in run.error
    assert run.finished_at is not None


def test_chunks_of_a_stalled_run_are_sent_again_and_fresh_ones_are_not(monkeypatch):
    TransactionFactory(feed=LinkedFeedFactory(), merchant_name="GVB")
    stalled = scoring_run_create(triggered_by="test")
    ScoringRun.objects.filter(pk=stalled.pk).update(started_at=timezone.now() - timedelta(hours=3))
    fresh = scoring_run_create(triggered_by="test")
    assert fresh.chunks.exists()
    sent: list[int] = []
    monkeypatch.setattr(tasks.score_chunk_task, "delay", sent.append)
    assert tasks.scoring_chunks_requeue_task() == 1
    assert sent == list(stalled.chunks.values_list("id", flat=True))
    # once scored, nothing of that run is resent
    ScoringChunk.objects.filter(run=stalled).update(status=ScoringChunk.Status.DONE)
    sent.clear()
    assert tasks.scoring_chunks_requeue_task() == 0
