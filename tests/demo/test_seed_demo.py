from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from accounts.models import LinkedFeed, Transaction, User
from catalogue.models import Sponsor

pytestmark = pytest.mark.django_db


def test_seed_demo_creates_accounts_once_and_prints_passwords_once():
    first = StringIO()
    call_command("seed_demo", stdout=first)
    assert set(User.objects.values_list("email", flat=True)) >= {
        "admin@canopy.local",
        "sanne@example.nl",
        "brand@groenewinkel.example",
    }
    assert User.objects.get(email="admin@canopy.local").is_superuser
    assert "passwords are shown only once" in first.getvalue()
    sponsor = Sponsor.objects.get(slug="groene-winkel")
    assert sponsor.memberships.filter(user__email="brand@groenewinkel.example").exists()

    second = StringIO()
    call_command("seed_demo", stdout=second)
    assert "were not changed" in second.getvalue()
    assert User.objects.filter(email="admin@canopy.local").count() == 1


def test_seed_demo_links_the_consumer_to_a_sandbox_feed_once():
    call_command("seed_demo", stdout=StringIO())
    consumer = User.objects.get(email="sanne@example.nl")
    feed = LinkedFeed.objects.get(user=consumer, provider="sandbox")
    rows = set(Transaction.objects.filter(feed=feed).values_list("id", "provider_txn_id"))
    merchants = set(Transaction.objects.filter(feed=feed).values_list("merchant_norm", flat=True))

    out = StringIO()
    call_command("seed_demo", stdout=out)

    assert feed.consents.get().is_live(timezone.now())
    assert len(rows) > 50
    assert {"ns", "gvb", "albert heijn", "vinted", "shell", "klm"} <= merchants
    assert LinkedFeed.objects.filter(user=consumer).count() == 1
    assert set(Transaction.objects.filter(feed=feed).values_list("id", "provider_txn_id")) == rows
    assert "0 new transactions" in out.getvalue()
    newest = Transaction.objects.filter(feed=feed).order_by("-booking_date").first()
    assert (timezone.localdate() - newest.booking_date).days <= 2


def test_the_demo_consumer_earns_one_night_at_the_tuned_pace_and_grows_a_tree():
    """``make seed score`` on a fresh database: a positive balance, a tree growing."""
    from forest.models import EnergyBalance, EnergyLimits, GreenAction, Tree
    from tests.forest.helpers import assert_ledger_consistent, score_all

    call_command("seed_demo", stdout=StringIO())
    score_all()

    consumer = User.objects.get(email="sanne@example.nl")
    balances = dict(EnergyBalance.objects.filter(user=consumer).values_list("account", "grams"))
    assert all(grams >= 0 for grams in balances.values())
    # Six weeks of sandbox history earn one night's worth, not five oaks.
    first_night = EnergyLimits.current().first_night_cap_grams
    assert 0 < balances["drops"] <= first_night
    actions = GreenAction.objects.filter(user=consumer)
    assert sum(a.estimated_grams for a in actions) > 10 * first_night  # the why shows both
    tree = Tree.objects.get(owner=consumer, status="growing")
    assert tree.species == tree.forest.species.order_by("energy_cost_grams").first()
    assert_ledger_consistent()

    call_command("seed_demo", stdout=StringIO())  # a second seed starts no second tree
    assert Tree.objects.filter(owner=consumer).count() == 1
