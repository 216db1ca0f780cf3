"""Aggregator syncs: the sandbox bank, Plaid through recorded answers, the nightly pull."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from accounts.integrations.plaid import PlaidProvider
from accounts.integrations.providers import ProviderError, SandboxProvider
from accounts.models import ImportBatch, LinkedFeed, Transaction
from accounts.services.feed_sync import feed_sync
from accounts.services.importing import FeedNotImportable
from accounts.tasks import feed_sync_task, feeds_pull_task
from tests.accounts.factories import LinkedFeedFactory, PlaidItemFactory
from tests.accounts.feed_helpers import fixture_bytes

pytestmark = pytest.mark.django_db


def _snapshot(feed) -> list[tuple]:
    return list(
        Transaction.objects.filter(feed=feed)
        .order_by("provider_txn_id")
        .values_list("provider_txn_id", "status", "amount", "merchant_name", "removed_at")
    )


# --- The sandbox bank ------------------------------------------------------------------------


def test_a_sandbox_pull_imports_six_weeks_of_dutch_transactions():
    feed = LinkedFeedFactory(provider="sandbox", account_ref="sandbox-sync-1")

    batches = feed_sync(feed=feed)

    assert batches and all(batch.status == "done" for batch in batches)
    feed.refresh_from_db()
    assert feed.cursor == f"sandbox:sandbox-sync-1:{len(batches)}"
    merchants = set(Transaction.objects.filter(feed=feed).values_list("merchant_norm", flat=True))
    assert {"ns", "albert heijn", "vattenfall"} <= merchants
    visible = Transaction.objects.filter(feed=feed).visible()
    assert visible.filter(status="booked").count() > 50
    # Pending card payments that posted were replaced, and the voided one removed.
    assert Transaction.objects.filter(feed=feed, status="pending", removed_at__isnull=False)
    assert sum(batch.count_removed for batch in batches) >= 2


def test_two_sandbox_pulls_leave_the_same_rows():
    feed = LinkedFeedFactory(provider="sandbox", account_ref="sandbox-sync-2")
    feed_sync(feed=feed)
    first = _snapshot(feed)

    again = feed_sync(feed=feed)

    assert again == []  # the stored cursor is at the end: nothing new
    assert _snapshot(feed) == first


def test_a_sandbox_pull_from_scratch_twice_leaves_the_same_rows():
    feed = LinkedFeedFactory(provider="sandbox", account_ref="sandbox-sync-3")
    feed_sync(feed=feed)
    first = _snapshot(feed)
    LinkedFeed.objects.filter(pk=feed.pk).update(cursor="")
    feed.refresh_from_db()

    batches = feed_sync(feed=feed)

    assert sum(batch.count_new for batch in batches) == 0
    assert _snapshot(feed) == first


def test_the_sandbox_is_deterministic_per_account():
    one = LinkedFeedFactory(provider="sandbox", account_ref="same-seed")
    two = LinkedFeedFactory(provider="sandbox", account_ref="same-seed")
    feed_sync(feed=one)
    feed_sync(feed=two)

    strip = [row[:4] for row in _snapshot(one)]
    assert strip == [row[:4] for row in _snapshot(two)]


def test_a_pull_stops_after_max_pages_and_resumes_from_the_cursor():
    feed = LinkedFeedFactory(provider="sandbox", account_ref="sandbox-sync-4")

    first = feed_sync(feed=feed, max_pages=2)
    rest = feed_sync(feed=feed)

    assert len(first) == 2
    assert rest
    feed.refresh_from_db()
    assert feed.cursor.endswith(f":{len(first) + len(rest)}")


# --- Plaid through recorded answers ----------------------------------------------------------


class RecordedPlaid:
    """A fake transport: answers /transactions/sync from recorded JSON, keyed by cursor."""

    def __init__(self, answers: dict[str | None, str]) -> None:
        self.answers = answers
        self.requests: list[tuple[str, dict]] = []

    def __call__(self, url: str, body: dict) -> dict:
        self.requests.append((url, body))
        return json.loads(fixture_bytes(self.answers[body.get("cursor")]))


@pytest.fixture
def plaid_feed():
    return LinkedFeedFactory(provider="plaid", account_ref="acc-checking")


def _plaid(transport) -> PlaidProvider:
    return PlaidProvider(
        client_id="client-1",
        secret="secret-1",
        transport=transport,
        access_token_for=lambda feed: "access-sandbox-1",
    )


def test_plaid_pages_are_pulled_with_credentials_and_cursors(plaid_feed):
    transport = RecordedPlaid({None: "plaid_sync_1.json", "plaid-cursor-1": "plaid_sync_2.json"})

    batches = feed_sync(feed=plaid_feed, provider=_plaid(transport))

    assert [batch.status for batch in batches] == ["done", "done"]
    url, body = transport.requests[0]
    assert url == "https://sandbox.plaid.com/transactions/sync"
    assert body["client_id"] == "client-1" and body["secret"] == "secret-1"
    assert body["access_token"] == "access-sandbox-1"
    assert "cursor" not in body
    assert transport.requests[1][1]["cursor"] == "plaid-cursor-1"
    plaid_feed.refresh_from_db()
    assert plaid_feed.cursor == "plaid-cursor-2"


def test_plaid_items_of_other_accounts_are_left_out(plaid_feed):
    transport = RecordedPlaid({None: "plaid_sync_1.json"})

    feed_sync(feed=plaid_feed, provider=_plaid(transport), max_pages=1)

    ids = set(Transaction.objects.filter(feed=plaid_feed).values_list("provider_txn_id", flat=True))
    assert "tx-savings" not in ids
    assert {"tx-ns-1", "tx-jumbo-pending", "tx-kringloop"} <= ids


def test_plaid_pending_to_posted_modified_and_removed(plaid_feed):
    transport = RecordedPlaid({None: "plaid_sync_1.json", "plaid-cursor-1": "plaid_sync_2.json"})

    first, second = feed_sync(feed=plaid_feed, provider=_plaid(transport))

    assert (first.count_new, first.count_removed) == (3, 0)
    assert (second.count_new, second.count_updated, second.count_removed) == (1, 1, 2)
    rows = {row.provider_txn_id: row for row in Transaction.objects.filter(feed=plaid_feed)}
    pending, posted = rows["tx-jumbo-pending"], rows["tx-jumbo-posted"]
    assert pending.removed_at is not None and pending.status == "pending"
    assert posted.status == "booked" and posted.pending_txn_id == "tx-jumbo-pending"
    assert posted.amount == Decimal("-31.75")
    assert rows["tx-ns-1"].removed_at is not None  # Plaid removed it
    assert rows["tx-ns-1"].status == "booked"  # status kept; scoring reverses its energy
    assert rows["tx-kringloop"].merchant_name == "Kringloop Het Goed"
    assert rows["tx-kringloop"].merchant_norm == "kringloop het goed"
    visible = Transaction.objects.filter(feed=plaid_feed).visible()
    assert set(visible.values_list("provider_txn_id", flat=True)) == {
        "tx-jumbo-posted",
        "tx-kringloop",
    }


def test_plaid_with_nothing_new_records_no_import(plaid_feed):
    plaid_feed.cursor = "plaid-cursor-2"
    plaid_feed.save(update_fields=["cursor"])

    batches = feed_sync(
        feed=plaid_feed, provider=_plaid(RecordedPlaid({"plaid-cursor-2": "plaid_sync_empty.json"}))
    )

    assert batches == []
    assert not ImportBatch.objects.exists()


def test_a_plaid_error_answer_raises_and_keeps_the_cursor(plaid_feed):
    plaid_feed.cursor = "plaid-cursor-1"
    plaid_feed.save(update_fields=["cursor"])

    with pytest.raises(ProviderError) as failed:
        feed_sync(
            feed=plaid_feed, provider=_plaid(RecordedPlaid({"plaid-cursor-1": "plaid_error.json"}))
        )

    assert "ITEM_LOGIN_REQUIRED" in str(failed.value)
    assert failed.value.retryable is False
    plaid_feed.refresh_from_db()
    assert plaid_feed.cursor == "plaid-cursor-1"
    assert "ITEM_LOGIN_REQUIRED" in plaid_feed.last_error
    assert not Transaction.objects.exists()


def test_a_malformed_plaid_page_is_recorded_as_rejected_and_keeps_the_cursor(plaid_feed):
    def transport(url, body):
        return {"added": [{"transaction_id": "x"}], "modified": [], "removed": [],
                "next_cursor": "c-9", "has_more": False}  # fmt: skip

    batches = feed_sync(feed=plaid_feed, provider=_plaid(transport))

    assert [batch.status for batch in batches] == ["rejected"]
    assert batches[0].errors[0]["where"].startswith("added[0]")
    plaid_feed.refresh_from_db()
    assert plaid_feed.cursor == ""
    assert not Transaction.objects.exists()


def test_plaid_without_credentials_is_not_retried(plaid_feed, monkeypatch):
    monkeypatch.delenv("CANOPY_PLAID_CLIENT_ID", raising=False)
    monkeypatch.delenv("CANOPY_PLAID_SECRET", raising=False)

    assert feed_sync_task.delay(plaid_feed.pk).get() == 0

    plaid_feed.refresh_from_db()
    assert "credentials" in plaid_feed.last_error


def test_the_plaid_access_token_is_the_one_stored_when_the_feed_was_linked(plaid_feed):
    PlaidItemFactory(feed=plaid_feed, access_token="access-sandbox-stored-1")
    transport = RecordedPlaid({None: "plaid_sync_empty.json"})

    PlaidProvider(client_id="c", secret="s", transport=transport).sync(feed=plaid_feed, cursor="")

    assert transport.requests[0][1]["access_token"] == "access-sandbox-stored-1"


def test_a_plaid_feed_without_a_stored_token_is_not_retried(plaid_feed):
    transport = RecordedPlaid({None: "plaid_sync_empty.json"})

    with pytest.raises(ProviderError) as failed:
        PlaidProvider(client_id="c", secret="s", transport=transport).sync(
            feed=plaid_feed, cursor=""
        )

    assert failed.value.retryable is False
    assert "Plaid Link" in str(failed.value)
    assert transport.requests == []


# --- Tasks -----------------------------------------------------------------------------------


def test_the_nightly_pull_fans_out_to_active_aggregator_feeds(mocker):
    sandbox = LinkedFeedFactory(provider="sandbox")
    plaid = LinkedFeedFactory(provider="plaid")
    LinkedFeedFactory(provider="file")
    LinkedFeedFactory(provider="sandbox", status="revoked")
    LinkedFeedFactory(provider="sandbox", status="expired")
    delay = mocker.patch("accounts.tasks.feed_sync_task.delay")

    assert feeds_pull_task.delay().get() == 2

    assert sorted(call.args[0] for call in delay.call_args_list) == [sandbox.pk, plaid.pk]


def test_the_sync_task_pulls_the_sandbox_and_skips_revoked_feeds():
    active = LinkedFeedFactory(provider="sandbox", account_ref="task-1")
    revoked = LinkedFeedFactory(provider="sandbox", account_ref="task-2", status="revoked")

    assert feed_sync_task.delay(active.pk).get() > 0
    assert feed_sync_task.delay(revoked.pk).get() == 0
    assert feed_sync_task.delay(999_999).get() == 0
    assert not Transaction.objects.filter(feed=revoked).exists()


def test_syncing_a_revoked_feed_is_refused():
    feed = LinkedFeedFactory(provider="sandbox", status="revoked")

    with pytest.raises(FeedNotImportable):
        feed_sync(feed=feed, provider=SandboxProvider())
