from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from accounts.models import User
from partners.models import Sponsor

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
