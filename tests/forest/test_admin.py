"""The operators' admin pages for the forest render, filter and act."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from forest.models import GreenAction, GreenActionRule, ScoringChunk, ScoringRun
from tests.accounts.factories import LinkedFeedFactory, TransactionFactory, UserFactory
from tests.forest.helpers import score_all

pytestmark = pytest.mark.django_db


@pytest.fixture
def operator_client(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


@pytest.mark.parametrize(
    "url",
    [
        "/admin/forest/greenactionrule/",
        "/admin/forest/greenactionrule/?action_type__exact=rail&q=ns",
        "/admin/forest/greenaction/",
        "/admin/forest/energydrop/?status__exact=open",
        "/admin/forest/energyledgerentry/?kind__exact=earn",
        "/admin/forest/energybalance/",
        "/admin/forest/scoringrun/",
        "/admin/forest/ledgeraudit/",
        "/admin/forest/currencyrate/",
        "/admin/catalogue/campaign/",
        "/admin/django_celery_beat/periodictask/",
    ],
)
def test_admin_list_pages_render(operator_client, url):
    feed = LinkedFeedFactory()
    TransactionFactory(feed=feed, merchant_name="NS", amount=Decimal("-9"))
    score_all()
    assert operator_client.get(url).status_code == 200


def test_a_runs_page_shows_each_chunks_attempts_and_start(operator_client):
    feed = LinkedFeedFactory()
    TransactionFactory(feed=feed, merchant_name="NS", amount=Decimal("-9"))
    score_all()
    run = ScoringRun.objects.get()
    chunk = run.chunks.get()
    ScoringChunk.objects.filter(id=chunk.id).update(attempts=3)

    page = operator_client.get(f"/admin/forest/scoringrun/{run.id}/change/")

    assert page.status_code == 200
    body = page.content.decode()
    assert "Attempts" in body and "Started at" in body
    assert re.search(r'class="field-attempts">\s*<p>3</p>', body)


def test_admin_rule_change_page_and_invalid_regex_error(operator_client):
    rule = GreenActionRule.objects.get(code="paperless")
    url = f"/admin/forest/greenactionrule/{rule.id}/change/"
    page = operator_client.get(url)
    assert page.status_code == 200
    form = page.context["adminform"].form
    data = {k: v for k, v in form.initial.items() if v is not None}
    for field in ("match_mccs", "match_merchants", "match_merchant_ids", "match_categories"):
        data[field] = ""
    data.update(
        {
            "match_description_regex": "e-ticket(",
            "versions-TOTAL_FORMS": "1", "versions-INITIAL_FORMS": "1",
            "versions-MIN_NUM_FORMS": "0", "versions-MAX_NUM_FORMS": "1000",
            "versions-0-id": str(rule.versions.get().id), "versions-0-rule": str(rule.id),
        }
    )  # fmt: skip
    response = operator_client.post(url, data)
    assert response.status_code == 200
    assert "Invalid regular expression" in response.content.decode()
    rule.refresh_from_db()
    assert rule.match_description_regex != "e-ticket("


def test_admin_test_action_reports_matches(operator_client):
    feed = LinkedFeedFactory()
    TransactionFactory(feed=feed, merchant_name="NS", amount=Decimal("-12.40"))
    rule = GreenActionRule.objects.get(code="rail")
    response = operator_client.post(
        "/admin/forest/greenactionrule/",
        {"action": "test_against_recent", "_selected_action": [rule.id]},
        follow=True,
    )
    texts = [str(m) for m in response.context["messages"]]
    assert any(t.startswith("rail: matches 1 of 1") for t in texts), texts
    assert not GreenAction.objects.exists()


def test_admin_rescore_action_reverses_and_awards_again(operator_client):
    from django.utils import timezone

    feed = LinkedFeedFactory()
    TransactionFactory(
        feed=feed, merchant_name="GVB", amount=Decimal("-3.2"), booking_date=timezone.localdate()
    )
    score_all()
    rule = GreenActionRule.objects.get(code="metro-tram")
    rule.fixed_grams = 70
    from forest.services.rules import rule_save

    rule_save(rule=rule)
    operator_client.post(
        "/admin/forest/greenactionrule/",
        {"action": "rescore_last_30_days", "_selected_action": [rule.id]},
    )
    assert list(GreenAction.objects.order_by("id").values_list("grams", "reversal_reason")) == [
        (52, "rescored"),
        (70, ""),
    ]
