"""Energy you can trust: only verified feeds earn, the sandbox is refused in production, forged
self-reported files earn nothing (or at most a pilot's monthly cap), and history from before
the consent window earns nothing. Through the API, with production's flags."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db.models import Sum
from django.test import override_settings
from django.utils import timezone

from accounts.models import LinkedFeed, Transaction
from accounts.services.feed_sync import feeds_due_for_pull
from forest.models import EnergyDrop, EnergyLedgerEntry, EnergyLimits, GreenAction
from tests.accounts.factories import LinkedFeedFactory, TransactionFactory, UserFactory
from tests.forest.helpers import assert_ledger_consistent, score_all

pytestmark = pytest.mark.django_db

# What production has: no sandbox, self-reported files earn nothing.
PRODUCTION = {"CANOPY_SANDBOX_ENABLED": False, "CANOPY_SELF_REPORTED_EARNS": False}
CONSENT = {"scopes": ["transactions"], "purpose_accepted": True}
CSV_HEADER = (
    "transaction_id,status,booking_date,transaction_date,amount,currency,merchant_name,"
    "merchant_id,mcc,category,description\n"
)


def forged_csv(days: int, *, prefix: str = "ride", end=None) -> bytes:
    """One NS train ride a day for ``days`` days up to today: what a user can type up."""
    end = end or timezone.localdate()
    lines = [
        f"{prefix}-{i},booked,{end - timedelta(days=i)},,-12.40,EUR,NS Groep,,4112,,NS reis\n"
        for i in range(days)
    ]
    return (CSV_HEADER + "".join(lines)).encode()


def link(client, provider: str, **extra) -> dict:
    response = client.post(
        "/api/v1/feeds", {"provider": provider, "consent": CONSENT, **extra}, format="json"
    )
    assert response.status_code == 201, response.content
    return response.json()


def upload(client, feed_id: int, data: bytes, name: str = "rides.csv"):
    payload = {"file": SimpleUploadedFile(name, data), "format": "csv"}
    return client.post(f"/api/v1/feeds/{feed_id}/uploads", payload, format="multipart")


def earned(user) -> int:
    """Every gram scoring gave the user (drops hold them until collected)."""
    return EnergyDrop.objects.filter(user=user).aggregate(g=Sum("grams"))["g"] or 0


def earnings(client) -> list[dict]:
    rows = client.get("/api/v1/transactions?page_size=200").json()["results"]
    return [row["earning"] for row in rows]


# --- the sandbox bank ----------------------------------------------------------------------


@override_settings(**PRODUCTION)
def test_production_refuses_to_link_the_sandbox_bank(user_client):
    response = user_client.post(
        "/api/v1/feeds",
        {"provider": "sandbox", "display_name": "Free energy", "consent": CONSENT},
        format="json",
    )

    assert response.status_code == 403
    assert response.json()["code"] == "sandbox_disabled"
    assert not LinkedFeed.objects.exists()
    assert not Transaction.objects.exists()


@override_settings(**PRODUCTION)
def test_production_refuses_plaid_links_through_the_offline_sandbox(user_client):
    response = user_client.post(
        "/api/v1/feeds/plaid/exchange",
        {"public_token": "public-sandbox-1", "account_id": "acc-1", "consent": CONSENT},
        format="json",
    )

    assert response.status_code == 403
    assert response.json()["code"] == "sandbox_disabled"
    assert not LinkedFeed.objects.exists()


def test_with_the_sandbox_enabled_plaid_sandbox_links_are_sandbox_feeds(user_client):
    response = user_client.post(
        "/api/v1/feeds/plaid/exchange",
        {"public_token": "public-sandbox-1", "account_id": "acc-1", "consent": CONSENT},
        format="json",
    )

    assert response.status_code == 201, response.content
    assert (response.json()["provider"], response.json()["trust"]) == ("plaid", "sandbox")


def test_an_old_sandbox_feed_neither_imports_nor_earns_in_production(user, user_client, tmp_path):
    feed = LinkedFeedFactory(user=user, provider="sandbox")
    rides = tmp_path / "rides.csv"
    rides.write_bytes(forged_csv(3))
    ride = TransactionFactory(feed=feed, merchant_name="NS Groep", amount=Decimal("-12.40"))

    with override_settings(**PRODUCTION):
        assert feed.pk not in feeds_due_for_pull()
        with pytest.raises(CommandError, match="sandbox"):
            call_command(
                "import_transactions", "--feed", str(feed.pk), str(rides), stdout=StringIO()
            )
        result = score_all()
        row = user_client.get(f"/api/v1/transactions/{ride.pk}").json()

    assert result.green_actions == 0 and earned(user) == 0
    assert row["earning"]["status"] == "not_earning"
    assert row["earning"]["reason"] == "sandbox_source"
    assert row["earning"]["detail"]


@override_settings(**PRODUCTION)
def test_production_ignores_the_sandbox_webhook(api_client):
    response = api_client.post(
        "/api/v1/webhooks/feeds/sandbox", b"{}", content_type="application/json"
    )

    assert response.status_code == 404


# --- self-reported files -------------------------------------------------------------------


@override_settings(**PRODUCTION)
def test_a_forged_csv_of_two_years_of_daily_train_rides_earns_nothing(user, user_client):
    # The client cannot make its own file verified: trust comes from the provider.
    feed = link(user_client, "file", display_name="My bank", trust="verified")
    assert feed["trust"] == "self_reported"

    response = upload(user_client, feed["id"], forged_csv(729))
    assert response.status_code == 201, response.content
    assert Transaction.objects.filter(user=user).count() == 729

    result = score_all()

    assert earned(user) == 0
    assert result.green_actions == 0 and result.grams_awarded == 0
    assert not GreenAction.objects.exists() and not EnergyLedgerEntry.objects.exists()
    # Imported and shown, each saying why it earned nothing; nothing is left to score.
    rows = earnings(user_client)
    assert len(rows) == 200
    assert {(r["status"], r["reason"]) for r in rows} == {("not_earning", "self_reported_source")}
    assert score_all().transactions_scored == 0


@pytest.fixture
def no_first_night_limit():
    """The pilot's monthly cap on its own: the economy's first-night limit (one day's energy on
    a user's first night, tests/forest/test_energy_limits.py) would stop well below it."""
    EnergyLimits.objects.update_or_create(pk=1, defaults={"first_night_cap_grams": None})


@override_settings(
    **{**PRODUCTION, "CANOPY_SELF_REPORTED_EARNS": True},
    CANOPY_SELF_REPORTED_MONTHLY_CAP_GRAMS=1_500,
)
@pytest.mark.usefixtures("no_first_night_limit")
def test_a_pilot_lets_self_reported_files_earn_at_most_the_monthly_cap(user, user_client):
    feed = link(user_client, "file")
    upload(user_client, feed["id"], forged_csv(729))

    score_all()

    actions = GreenAction.objects.filter(user=user)
    # Only the rides of the consent window were scored, and they would earn more than the cap.
    assert actions.count() == 8
    assert sum(a.estimated_grams for a in actions) > 1_500
    assert earned(user) == 1_500
    assert_ledger_consistent()

    # A second file later in the month: the cap is per month, across nights.
    today = timezone.localdate()
    more = CSV_HEADER + f"extra-1,booked,{today},,-30.00,EUR,NS Groep,,4112,,NS reis\n"
    assert upload(user_client, feed["id"], more.encode(), "more.csv").status_code == 201
    score_all()

    assert earned(user) == 1_500
    capped = user_client.get(
        f"/api/v1/transactions/{Transaction.objects.get(provider_txn_id='extra-1').pk}"
    ).json()
    assert capped["earning"]["reason"] == "cap_reached"
    old = Transaction.objects.get(feed_id=feed["id"], provider_txn_id="ride-700")
    assert user_client.get(f"/api/v1/transactions/{old.pk}").json()["earning"]["reason"] == (
        "before_consent_window"
    )


@override_settings(
    **{**PRODUCTION, "CANOPY_SELF_REPORTED_EARNS": True},
    CANOPY_SELF_REPORTED_MONTHLY_CAP_GRAMS=1_500,
)
@pytest.mark.usefixtures("no_first_night_limit")
def test_the_pilot_cap_is_per_user():
    other = UserFactory()
    mine = LinkedFeedFactory(user=UserFactory(), provider="file")
    theirs = LinkedFeedFactory(user=other, provider="file")
    today = timezone.localdate()
    for feed in (mine, theirs):
        for i in range(8):  # a rail ride a day: more than the cap in a week
            TransactionFactory(
                feed=feed, booking_date=today - timedelta(days=i), merchant_name="NS Groep",
                amount=Decimal("-12.40"),
            )  # fmt: skip

    score_all()

    assert earned(mine.user) == earned(other) == 1_500


# --- the consent window --------------------------------------------------------------------


@override_settings(**PRODUCTION)
def test_history_before_the_consent_window_earns_nothing_and_says_why(user, user_client):
    today = timezone.localdate()
    feed = LinkedFeedFactory(user=user, provider="plaid", consented_on=today)
    old = TransactionFactory(
        feed=feed, booking_date=today - timedelta(days=30), merchant_name="NS Groep",
        amount=Decimal("-12.40"),
    )  # fmt: skip
    in_grace = TransactionFactory(
        feed=feed, booking_date=today - timedelta(days=7), merchant_name="NS Groep",
        amount=Decimal("-12.40"),
    )  # fmt: skip

    score_all()

    assert list(GreenAction.objects.values_list("transaction_id", flat=True)) == [in_grace.pk]
    row = user_client.get(f"/api/v1/transactions/{old.pk}").json()
    assert row["green_action"] is None
    assert row["earning"]["status"] == "not_earning"
    assert row["earning"]["reason"] == "before_consent_window"
    assert user_client.get(f"/api/v1/transactions/{in_grace.pk}").json()["earning"] == {
        "status": "earned",
        "reason": None,
        "detail": None,
    }


@override_settings(**PRODUCTION, CANOPY_CONSENT_GRACE_DAYS=0)
def test_the_grace_is_a_setting(user):
    today = timezone.localdate()
    feed = LinkedFeedFactory(user=user, provider="plaid", consented_on=today)
    TransactionFactory(feed=feed, booking_date=today - timedelta(days=1), merchant_name="NS")

    assert score_all().green_actions == 0


@override_settings(**PRODUCTION)
def test_linking_starts_the_window_today_and_renewing_keeps_it(user_client):
    feed = link(user_client, "file")
    assert feed["consented_on"] == timezone.localdate().isoformat()
    LinkedFeed.objects.filter(pk=feed["id"]).update(consented_on="2026-01-01")

    response = user_client.post(f"/api/v1/feeds/{feed['id']}/consent", CONSENT, format="json")

    assert response.status_code == 201
    assert str(LinkedFeed.objects.get(pk=feed["id"]).consented_on) == "2026-01-01"


# --- verified feeds ------------------------------------------------------------------------


@override_settings(**PRODUCTION)
def test_a_verified_feed_still_earns_as_before(user, user_client):
    feed = LinkedFeedFactory(user=user, provider="plaid")
    assert feed.trust == "verified"
    tram = TransactionFactory(feed=feed, merchant_name="GVB", amount=Decimal("-3.20"))

    result = score_all()

    assert result.green_actions == 1
    assert earned(user) == 52  # as tests/forest/test_import_to_energy.py has it
    row = user_client.get(f"/api/v1/transactions/{tram.pk}").json()
    assert row["green_action"]["grams"] == 52
    assert row["earning"]["status"] == "earned"
    assert_ledger_consistent()


def test_someone_elses_transaction_is_a_404(user_client):
    theirs = TransactionFactory(feed=LinkedFeedFactory(provider="plaid"))

    assert user_client.get(f"/api/v1/transactions/{theirs.pk}").status_code == 404


@override_settings(**{**PRODUCTION, "CANOPY_SELF_REPORTED_EARNS": True})
def test_sponsor_campaigns_pay_no_bonus_on_self_reported_transactions():
    from catalogue.models import Campaign
    from tests.partners.factories import CampaignFactory

    today = timezone.localdate()
    CampaignFactory(match_merchants=["gvb"], bonus_grams=100, starts_on=today, ends_on=today)
    uploaded = TransactionFactory(feed=LinkedFeedFactory(provider="file"), booking_date=today)
    pulled = TransactionFactory(feed=LinkedFeedFactory(provider="plaid"), booking_date=today)

    score_all()

    bonus = dict(GreenAction.objects.values_list("transaction_id", "campaign_grams"))
    assert bonus == {uploaded.pk: 0, pulled.pk: 100}
    assert Campaign.objects.get().spent_grams == 100
    assert_ledger_consistent()
