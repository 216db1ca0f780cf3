"""GET/PATCH /api/v1/me/notification-preferences: defaults, validation, persistence."""

from __future__ import annotations

from datetime import time

import pytest

from accounts.models import Profile
from tests.accounts.factories import UserFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/me/notification-preferences"


def test_a_new_profile_has_the_documented_defaults(user_client, user):
    Profile.objects.filter(user=user).delete()  # as a real registration: model defaults

    response = user_client.get(URL)

    assert response.status_code == 200
    assert response.json() == {
        "channels": {"inbox": True, "email": True, "push": True},
        "topics": {
            "consent": True,
            "energy": True,
            "trees": True,
            "teams": True,
            "sponsors": False,
        },
        "quiet_hours": {
            "enabled": True,
            "start": "22:00",
            "end": "08:00",
            "time_zone": "Europe/Amsterdam",
        },
    }


def test_a_patch_changes_only_what_it_sends(user_client, user):
    response = user_client.patch(
        URL,
        {
            "channels": {"push": False},
            "topics": {"sponsors": True, "energy": False},
            "quiet_hours": {"enabled": True, "start": "23:30", "end": "07:00"},
        },
        format="json",
    )

    assert response.status_code == 200, response.data
    profile = Profile.objects.get(user=user)
    assert (profile.push_enabled, profile.email_enabled) == (False, True)
    assert (profile.notify_sponsors, profile.notify_energy, profile.notify_trees) == (
        True,
        False,
        True,
    )
    assert profile.quiet_hours_enabled
    assert (profile.quiet_hours_start, profile.quiet_hours_end) == (time(23, 30), time(7, 0))
    assert response.json()["quiet_hours"]["start"] == "23:30"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"topics": {"consent": False}}, "topics"),
        ({"channels": {"inbox": False}}, "channels"),
        ({"quiet_hours": {"enabled": True, "start": "22:00", "end": "22:00"}}, "quiet_hours"),
        ({"quiet_hours": {"start": "25:00"}}, "quiet_hours"),
        ({"quiet_hours": "night"}, "quiet_hours"),
        ({"topics": {"sponsors": "maybe"}}, "topics"),
    ],
)
def test_invalid_preferences_are_a_400_with_a_message(user_client, user, body, field):
    before = Profile.objects.filter(user=user).values().get()

    response = user_client.patch(URL, body, format="json")

    assert response.status_code == 400
    assert field in response.json()
    assert Profile.objects.filter(user=user).values().get() == before


def test_the_consent_message_says_why(user_client):
    response = user_client.patch(URL, {"topics": {"consent": False}}, format="json")

    assert response.json()["topics"]["consent"] == [
        "Consent reminders are required by law and cannot be switched off."
    ]


def test_quiet_hours_equal_start_and_end_are_fine_when_switched_off(user_client, user):
    response = user_client.patch(
        URL, {"quiet_hours": {"enabled": False, "start": "06:00", "end": "06:00"}}, format="json"
    )

    assert response.status_code == 200
    assert Profile.objects.get(user=user).quiet_hours_start == time(6, 0)


def test_it_needs_a_login(api_client):
    assert api_client.get(URL).status_code == 401
    assert api_client.patch(URL, {}, format="json").status_code == 401


def test_each_user_sees_their_own(user_client):
    other = UserFactory()
    other.profile.notify_sponsors = True
    other.profile.save(update_fields=["notify_sponsors"])

    assert user_client.get(URL).json()["topics"]["sponsors"] is False
