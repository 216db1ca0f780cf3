"""The operators' admin for feeds, consents, imports and transactions."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import ImportBatch, Transaction
from accounts.services.feeds import feed_revoke
from tests.accounts.factories import LinkedFeedFactory, TransactionFactory, UserFactory
from tests.accounts.feed_helpers import import_fixture

pytestmark = pytest.mark.django_db

SECRET_DESCRIPTION = "Pinbetaling kringloop Nijmegen"


@pytest.fixture
def operator_client(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


@pytest.fixture
def feed():
    feed = LinkedFeedFactory(provider="file", account_ref="NL91ABNA0417164300")
    import_fixture(feed, "week1.csv")
    return feed


@pytest.mark.parametrize(
    "url",
    [
        "/admin/accounts/linkedfeed/",
        "/admin/accounts/linkedfeed/?provider__exact=file&status__exact=active&q=NL91",
        "/admin/accounts/consent/",
        "/admin/accounts/consent/?q=NL91",
        "/admin/accounts/importbatch/",
        "/admin/accounts/importbatch/?status__exact=done&source__exact=upload",
        "/admin/accounts/transaction/",
        "/admin/accounts/transaction/?status__exact=booked&q=kringloop",
        "/admin/accounts/transaction/?booking_date__year=2026&booking_date__month=11",
        "/admin/accounts/webhookdelivery/",
    ],
)
def test_list_pages_render_and_never_show_raw_payloads(operator_client, feed, url):
    response = operator_client.get(url)

    assert response.status_code == 200
    assert b'"_line"' not in response.content  # the raw payload's keys


def test_change_pages_render(operator_client, feed):
    batch = ImportBatch.objects.get(feed=feed)
    consent = feed.consents.get()
    for url in (
        f"/admin/accounts/linkedfeed/{feed.pk}/change/",
        f"/admin/accounts/consent/{consent.pk}/change/",
        f"/admin/accounts/importbatch/{batch.pk}/change/",
    ):
        assert operator_client.get(url).status_code == 200, url


def test_the_raw_payload_shows_while_consent_lives(operator_client, feed):
    row = Transaction.objects.get(feed=feed, provider_txn_id="ING-003")

    body = operator_client.get(f"/admin/accounts/transaction/{row.pk}/change/").content.decode()

    assert "ING-003" in body
    assert "&quot;_line&quot;: 4" in body  # the pretty-printed payload (the row's line)


def test_the_raw_payload_is_hidden_when_consent_expired(operator_client):
    feed = LinkedFeedFactory(
        provider="file",
        consent__granted_at=timezone.now() - timedelta(days=200),
        consent__expires_at=timezone.now() - timedelta(days=20),
    )
    row = TransactionFactory(feed=feed, raw={"secret_key": "visible?"})

    body = operator_client.get(f"/admin/accounts/transaction/{row.pk}/change/").content.decode()

    assert "hidden: consent not live" in body
    assert "secret_key" not in body


def test_the_raw_payload_says_erased_after_revocation(operator_client, feed):
    feed_revoke(feed=feed)
    row = Transaction.objects.get(feed=feed, provider_txn_id="ING-003")

    body = operator_client.get(f"/admin/accounts/transaction/{row.pk}/change/").content.decode()

    assert "erased" in body
    assert SECRET_DESCRIPTION not in body


def test_the_sync_action_queues_pulled_active_feeds_only(
    operator_client, mocker, django_capture_on_commit_callbacks
):
    sandbox = LinkedFeedFactory(provider="sandbox")
    file_feed = LinkedFeedFactory(provider="file")
    delay = mocker.patch("accounts.tasks.feed_sync_task.delay")

    with django_capture_on_commit_callbacks(execute=True):
        response = operator_client.post(
            "/admin/accounts/linkedfeed/",
            {"action": "sync_again", "_selected_action": [sandbox.pk, file_feed.pk]},
            follow=True,
        )

    assert response.status_code == 200
    assert [call.args[0] for call in delay.call_args_list] == [sandbox.pk]
    assert "1 feed sync(s) queued" in response.content.decode()
