"""Linking feeds with explicit consent, re-consent, reading feeds and their imports."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import Consent, ImportBatch, LinkedFeed, Transaction
from tests.accounts.factories import ConsentFactory, LinkedFeedFactory, UserFactory
from tests.accounts.feed_helpers import import_fixture

pytestmark = pytest.mark.django_db

CONSENT = {"scopes": ["transactions"], "purpose_accepted": True}


def test_linking_a_file_feed_records_an_explicit_consent(user, user_client):
    response = user_client.post(
        "/api/v1/feeds",
        {"provider": "file", "account_ref": "NL91ABNA0417164300", "consent": CONSENT},
    )

    assert response.status_code == 201, response.content
    body = response.json()
    feed = LinkedFeed.objects.get(pk=body["id"])
    assert (feed.user, feed.provider, feed.status) == (user, "file", "active")
    consent = Consent.objects.get(feed=feed)
    assert consent.scopes == ["transactions"]
    assert consent.purpose.startswith("Canopy leest")  # the user's locale is nl
    assert consent.expires_at - consent.granted_at == timedelta(days=180)
    assert body["consent"]["live"] is True
    assert body["consent"]["purpose"] == consent.purpose


@pytest.mark.parametrize(
    "consent",
    [
        None,
        {},
        {"scopes": ["transactions"]},
        {"purpose_accepted": True},
        {"scopes": [], "purpose_accepted": True},
        {"scopes": ["transactions"], "purpose_accepted": False},
        {"scopes": ["transactions", "balances"], "purpose_accepted": True},
    ],
)
def test_linking_without_an_explicit_consent_is_refused(user_client, consent):
    payload = {"provider": "file", "account_ref": "NL91ABNA0417164300"}
    if consent is not None:
        payload["consent"] = consent

    response = user_client.post("/api/v1/feeds", payload)

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "consent_required"
    assert body["consent"]["scopes"] == ["transactions"]
    assert "Canopy" in body["consent"]["purpose"]
    assert not LinkedFeed.objects.exists()
    assert not Consent.objects.exists()


def test_consent_lifetime_follows_settings_per_provider_and_uk_accounts(user_client, settings):
    settings.CANOPY_CONSENT_DAYS = {"default": 180, "berlin_group": 120, "uk": 90}

    eu = user_client.post(
        "/api/v1/feeds",
        {"provider": "berlin_group", "account_ref": "NL91ABNA0417164300", "consent": CONSENT},
    ).json()
    uk = user_client.post(
        "/api/v1/feeds",
        {"provider": "berlin_group", "account_ref": "GB29NWBK60161331926819", "consent": CONSENT},
    ).json()

    assert (
        Consent.objects.get(feed_id=eu["id"]).expires_at.date()
        == (timezone.now() + timedelta(days=120)).date()
    )
    assert (
        Consent.objects.get(feed_id=uk["id"]).expires_at.date()
        == (timezone.now() + timedelta(days=90)).date()
    )


def test_linking_the_same_account_twice_is_a_conflict(user_client):
    payload = {"provider": "file", "account_ref": "NL91ABNA0417164300", "consent": CONSENT}
    first = user_client.post("/api/v1/feeds", payload)

    second = user_client.post("/api/v1/feeds", payload)

    assert second.status_code == 409
    assert second.json()["feed"] == first.json()["id"]
    assert LinkedFeed.objects.count() == 1


def test_an_unknown_provider_is_a_400(user_client):
    response = user_client.post(
        "/api/v1/feeds", {"provider": "mt940", "account_ref": "x", "consent": CONSENT}
    )

    assert response.status_code == 400
    assert "provider" in response.json()


def test_plaid_needs_an_account_ref(user_client):
    response = user_client.post("/api/v1/feeds", {"provider": "plaid", "consent": CONSENT})

    assert response.status_code == 400
    assert not LinkedFeed.objects.exists()


def test_linking_a_sandbox_feed_starts_its_first_sync(
    user_client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = user_client.post(
            "/api/v1/feeds", {"provider": "sandbox", "display_name": "ING", "consent": CONSENT}
        )

    assert response.status_code == 201
    feed = LinkedFeed.objects.get(pk=response.json()["id"])
    assert feed.account_ref.startswith("sandbox-")
    assert feed.cursor.startswith("sandbox:")
    assert Transaction.objects.filter(feed=feed).count() > 50
    assert ImportBatch.objects.filter(feed=feed, source="pull", status="done").exists()


def test_anonymous_clients_cannot_link(api_client):
    response = api_client.post("/api/v1/feeds", {"provider": "file", "consent": CONSENT})

    assert response.status_code == 401
    assert not LinkedFeed.objects.exists()


def test_feeds_are_listed_for_their_owner_only(user, user_client, django_assert_max_num_queries):
    mine = [LinkedFeedFactory(user=user, provider="file") for _ in range(3)]
    LinkedFeedFactory(provider="file")  # someone else's

    with django_assert_max_num_queries(4):  # savepoint, feeds, consents, release
        response = user_client.get("/api/v1/feeds")

    assert response.status_code == 200
    assert [feed["id"] for feed in response.json()] == [feed.pk for feed in mine]
    assert all(feed["consent"]["live"] for feed in response.json())


def test_another_users_feed_is_a_404_everywhere(user_client):
    other = LinkedFeedFactory(provider="file")

    assert user_client.get(f"/api/v1/feeds/{other.pk}").status_code == 404
    assert user_client.delete(f"/api/v1/feeds/{other.pk}").status_code == 404
    assert user_client.post(f"/api/v1/feeds/{other.pk}/consent", CONSENT).status_code == 404
    assert user_client.get(f"/api/v1/feeds/{other.pk}/imports").status_code == 404
    other.refresh_from_db()
    assert other.status == "active"
    assert Consent.objects.filter(feed=other).count() == 1


def test_reconsent_gives_an_expired_feed_a_new_consent_and_makes_it_active(user, user_client):
    feed = LinkedFeedFactory(
        user=user,
        provider="file",
        status="expired",
        consent__granted_at=timezone.now() - timedelta(days=181),
        consent__expires_at=timezone.now() - timedelta(days=1),
    )

    response = user_client.post(f"/api/v1/feeds/{feed.pk}/consent", CONSENT)

    assert response.status_code == 201
    feed.refresh_from_db()
    assert feed.status == "active"
    assert Consent.objects.filter(feed=feed).count() == 2
    assert response.json()["live"] is True
    assert (
        user_client.get(f"/api/v1/feeds/{feed.pk}").json()["consent"]["id"]
        == (response.json()["id"])
    )


def test_reconsent_needs_the_explicit_consent_too(user, user_client):
    feed = LinkedFeedFactory(user=user, provider="file", status="expired")

    response = user_client.post(f"/api/v1/feeds/{feed.pk}/consent", {"scopes": ["transactions"]})

    assert response.status_code == 400
    assert response.json()["code"] == "consent_required"
    feed.refresh_from_db()
    assert feed.status == "expired"
    assert Consent.objects.filter(feed=feed).count() == 1


def test_a_feeds_imports_are_listed_newest_first(user, user_client):
    feed = LinkedFeedFactory(user=user, provider="file")
    first = import_fixture(feed, "week1.csv")
    second = import_fixture(feed, "malformed.csv")

    response = user_client.get(f"/api/v1/feeds/{feed.pk}/imports")

    assert response.status_code == 200
    results = response.json()["results"]
    assert [batch["id"] for batch in results] == [second.pk, first.pk]
    assert results[0]["status"] == "rejected"
    assert results[0]["errors"][0]["line"] == 3
    assert results[1]["count_new"] == 4


def test_the_detail_shows_the_newest_consent(user, user_client):
    feed = LinkedFeedFactory(user=user, provider="file")
    newer = ConsentFactory(feed=feed, granted_at=timezone.now() + timedelta(seconds=5))

    body = user_client.get(f"/api/v1/feeds/{feed.pk}").json()

    assert body["consent"]["id"] == newer.pk


def test_a_user_cannot_reach_feeds_through_another_client():
    owner = UserFactory()
    feed = LinkedFeedFactory(user=owner, provider="file")
    intruder = APIClient()
    intruder.force_authenticate(UserFactory())

    assert intruder.get("/api/v1/feeds").json() == []
    assert intruder.get(f"/api/v1/feeds/{feed.pk}").status_code == 404


def test_the_data_migration_gives_existing_feeds_their_trust_and_first_consent_day():
    """accounts 0002: trust from the provider (offline Plaid sandbox: sandbox), and the day of
    the first consent (else the day the feed was linked)."""
    from importlib import import_module

    from django.apps import apps

    from tests.accounts.factories import PlaidItemFactory

    migration = import_module("accounts.migrations.0002_trust_feed_trust")
    first = timezone.now() - timedelta(days=400)
    upload = LinkedFeedFactory(provider="file")
    ConsentFactory(feed=upload, granted_at=first)
    plaid = LinkedFeedFactory(provider="plaid", consent=False)
    offline = PlaidItemFactory(adapter="sandbox").feed
    berlin = LinkedFeedFactory(provider="berlin_group")
    LinkedFeed.objects.update(trust="verified", consented_on="2000-01-01")

    migration.set_trust_and_consent_date(apps, None)

    trust = dict(LinkedFeed.objects.values_list("id", "trust"))
    assert trust == {
        upload.pk: "self_reported",
        plaid.pk: "verified",
        offline.pk: "sandbox",
        berlin.pk: "self_reported",
    }
    days = dict(LinkedFeed.objects.values_list("id", "consented_on"))
    assert days[upload.pk] == first.date()
    assert days[plaid.pk] == plaid.created_at.date()
