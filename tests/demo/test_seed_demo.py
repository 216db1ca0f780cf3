"""The living demo: seed_demo (once, idempotent), what a newcomer finds, demo_advance."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from accounts.models import LinkedFeed, Transaction, User
from catalogue.models import Campaign, Sponsor
from demo.cast import CONSUMER_EMAIL, CONSUMERS, DEMO_PASSWORD
from demo.models import DemoState
from forest.models import EnergyBalance, EnergyDrop, EnergyLedgerEntry, FraudSignal, Tree
from forest.selectors.levels import home_figures
from forest.services.energy import ledger_audit
from partners.models import ClaimCodeBatch, PlantingEvidence, PlantingOrder
from tests.forest.helpers import assert_ledger_consistent, score_all

pytestmark = pytest.mark.django_db(transaction=False)


def _balances(user) -> dict[str, int]:
    return dict(EnergyBalance.objects.filter(user=user).values_list("account", "grams"))


def test_the_living_demo_seeds_once_tells_the_truth_and_advances(api_client):
    first = StringIO()
    call_command("seed_demo", stdout=first)

    # The cast: an operator, two sponsors, 20+ consumers, all with the published password.
    assert DemoState.objects.count() == 1
    assert User.objects.get(email="admin@canopy.local").is_superuser
    assert User.objects.filter(email__endswith="@example.nl").count() == len(CONSUMERS) >= 20
    sanne = User.objects.get(email=CONSUMER_EMAIL)
    assert sanne.check_password(DEMO_PASSWORD)
    assert DEMO_PASSWORD in first.getvalue()
    assert Sponsor.objects.get(slug="groene-winkel").memberships.exists()
    assert Campaign.objects.filter(is_active=True).count() == 2
    assert ClaimCodeBatch.objects.exists()

    # Her sandbox bank: six weeks of history, the newest bookings of the last days.
    feed = LinkedFeed.objects.get(user=sanne, provider="sandbox")
    merchants = set(Transaction.objects.filter(feed=feed).values_list("merchant_norm", flat=True))
    assert {"ns", "gvb", "albert heijn", "vinted", "shell", "klm"} <= merchants
    newest = Transaction.objects.filter(feed=feed).order_by("-booking_date").first()
    assert (timezone.localdate() - newest.booking_date).days <= 2

    # Issue 11: a positive balance earned through collects, a growing tree, ripe drops now.
    balances = _balances(sanne)
    assert balances["balance"] > 0 and balances["tree"] > 0 and balances["drops"] > 0
    collected = EnergyLedgerEntry.objects.filter(user=sanne, account="balance", kind="collect")
    assert collected.count() > 10
    assert Tree.objects.filter(owner=sanne, team__isnull=True, status="growing").exists()
    assert Tree.objects.filter(team__isnull=False, status="growing").exists()
    now = timezone.now()
    ripe = [
        d for d in EnergyDrop.objects.filter(user=sanne, status="open") if d.state_at(now) == "ripe"
    ]
    assert ripe
    # Issue 14: scoring awarded badges and the levels/streaks have data.
    assert sanne.badges.exists()
    figures = home_figures(sanne.pk, today=timezone.localdate())
    assert figures["level"] and figures["streaks"]["weekly"]["best"] >= 4
    assert figures["streaks"]["daily"]["best"] >= 1

    # The rest of the product: planted trees with evidence photos inside the forest, a fraud
    # signal to review, the ledger's books balanced.
    assert Tree.objects.filter(status="planted").exists()
    assert Tree.objects.filter(status="matured").exists()
    # Orders in several states (which ones depends on the planting season of today's date).
    assert PlantingOrder.objects.values("state").distinct().count() >= 3
    verified = PlantingOrder.objects.filter(state__in=("verified", "survival_checked"))
    assert verified.exists()
    photo = PlantingEvidence.objects.first()
    assert photo.latitude and photo.longitude
    assert FraudSignal.objects.filter(status="open").exists()
    assert ledger_audit().drift_count == 0
    assert_ledger_consistent()

    # `make run` scores afterwards: nothing is left to score, nothing changes.
    score_all()
    assert _balances(sanne) == balances

    # Idempotent: a second run changes nothing.
    entries = EnergyLedgerEntry.objects.count()
    second = StringIO()
    call_command("seed_demo", stdout=second)
    assert "nothing to do" in second.getvalue()
    assert EnergyLedgerEntry.objects.count() == entries
    assert DemoState.objects.count() == 1

    # The newcomer collects right away, through the API.
    api_client.force_authenticate(sanne)
    response = api_client.post(reverse("drops-collect-all"))
    assert response.status_code == 200, response.content
    assert _balances(sanne)["balance"] > balances["balance"]

    # One day on: drops age, the banks book today, the nightly jobs run in order.
    last_drop = EnergyDrop.objects.order_by("-id").values_list("id", flat=True).first()
    deadlines = dict(EnergyDrop.objects.filter(status="open").values_list("id", "expires_at"))
    assert deadlines
    out = StringIO()
    call_command("demo_advance", "--days", "1", stdout=out)
    text = out.getvalue()
    assert "scoring:" in text and "ledger audit: drift 0" in text
    assert DemoState.objects.get().days_advanced == 1
    # The night's drops ripened (the others collected theirs in the morning; Sanne's wait).
    fresh = EnergyDrop.objects.filter(id__gt=last_drop)
    assert fresh.exists()
    assert not [d for d in fresh if d.state_at() == "ripening"]
    aged = EnergyDrop.objects.filter(id__in=deadlines)
    for drop in aged.filter(status="open"):  # one day older; the others expired or collected
        assert drop.expires_at == deadlines[drop.id] - timedelta(days=1)
    assert not aged.filter(status="open", expires_at__lte=timezone.now()).exists()
    assert ledger_audit().drift_count == 0
    assert_ledger_consistent()


def test_demo_advance_refuses_a_database_without_the_demo():
    with pytest.raises(CommandError, match="no seeded demo"):
        call_command("demo_advance", stdout=StringIO())


@override_settings(CANOPY_DEMO_ENABLED=False)
def test_the_demo_is_refused_where_the_settings_do_not_allow_it():
    with pytest.raises(CommandError, match="CANOPY_DEMO_ENABLED"):
        call_command("seed_demo", stdout=StringIO())
    with pytest.raises(CommandError, match="CANOPY_DEMO_ENABLED"):
        call_command("demo_advance", stdout=StringIO())
    assert not User.objects.exists()


def test_the_published_passwords_are_recoverable_with_a_command():
    DemoState.objects.create(seeded_at=timezone.now(), history_days=42)
    sanne = User.objects.create_user(email=CONSUMER_EMAIL, password="changed-by-me-123")
    out = StringIO()
    call_command("seed_demo", "--reset-passwords", stdout=out)
    sanne.refresh_from_db()
    assert sanne.check_password(DEMO_PASSWORD)
    assert "nothing to do" in out.getvalue() and DEMO_PASSWORD in out.getvalue()
