"""economy_simulate: the shipped defaults give Ant Forest's pace, and nothing is kept."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import call_command

from accounts.models import Transaction, User
from catalogue.models import Species
from forest.models import EnergyLedgerEntry, GreenAction, ScoringRun

pytestmark = pytest.mark.django_db

PERSONAS = {
    "daily train commuter",
    "city tram + bike user",
    "second-hand shopper",
    "EV driver",
    "car driver with occasional train",
    "frequent flyer",
}


def simulate(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("economy_simulate", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def year(django_db_setup, django_db_blocker) -> dict:
    """One simulated year, shared by the pace tests (it takes a few seconds)."""
    with django_db_blocker.unblock():
        out, _err = simulate("--days", "365", "--json")
    return json.loads(out)


def test_json_is_one_object_with_every_persona_and_species(year):
    codes = set(Species.objects.filter(is_active=True).values_list("code", flat=True))
    assert {p["name"] for p in year["personas"]} == PERSONAS
    for persona in year["personas"]:
        assert set(persona) == {"name", "grams_per_day", "days_to_first_tree"}
        assert set(persona["days_to_first_tree"]) == codes


def test_the_shipped_defaults_keep_ant_forests_pace(year):
    cheapest = Species.objects.filter(is_active=True).order_by("energy_cost_grams").first().code
    days = {p["name"]: p["days_to_first_tree"] for p in year["personas"]}
    # Green on most working days: the first tree in 45 to 120 days.
    assert 45 <= days["daily train commuter"][cheapest] <= 120
    # A committed tram and bike user: within the year.
    assert days["city tram + bike user"][cheapest] <= 365
    # Nobody, however green, in under 30 days; flying earns nothing.
    assert all(n is None or n >= 30 for d in days.values() for n in d.values())
    assert all(n is None for n in days["frequent flyer"].values())
    per_day = {p["name"]: p["grams_per_day"] for p in year["personas"]}
    assert all(0 <= g <= 300 for g in per_day.values())  # never more than the daily total cap


def test_nothing_the_simulation_wrote_is_kept_and_progress_goes_to_stderr():
    users = User.objects.count()
    out, err = simulate("--days", "10")
    assert "daily train commuter" in out and "hazelaar" in out
    assert "simulating" in err
    assert User.objects.count() == users
    assert not Transaction.objects.exists()
    assert not GreenAction.objects.exists()
    assert not EnergyLedgerEntry.objects.exists()
    assert not ScoringRun.objects.exists()


def test_a_period_out_of_range_is_refused():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="--days"):
        simulate("--days", "0")
