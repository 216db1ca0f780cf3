"""The existing notifications go through the dispatch: preferences and quiet hours apply."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine
from django.core import mail

from accounts.models import Notification, OutboundMessage
from forest.services.team_invitations import team_invite
from tests.accounts.factories import UserFactory
from tests.forest.tree_factories import TeamFactory

pytestmark = pytest.mark.django_db


def test_a_team_invitation_e_mail_honours_the_teams_topic(django_capture_on_commit_callbacks):
    anna, bram = UserFactory(), UserFactory()
    bram.profile.notify_teams = False
    bram.profile.save(update_fields=["notify_teams"])
    team = TeamFactory(created_by=anna)

    with django_capture_on_commit_callbacks(execute=True):
        team_invite(inviter_id=anna.id, team_id=team.id, emails=[bram.email])

    assert Notification.objects.filter(user=bram).count() == 1
    assert not mail.outbox


def test_a_team_invitation_at_night_waits_for_the_morning(django_capture_on_commit_callbacks):
    anna, bram = UserFactory(), UserFactory()
    bram.profile.quiet_hours_enabled = True
    bram.profile.save(update_fields=["quiet_hours_enabled"])
    team = TeamFactory(created_by=anna)

    with (
        time_machine.travel(datetime(2026, 11, 25, 23, 0, tzinfo=UTC), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        team_invite(inviter_id=anna.id, team_id=team.id, emails=[bram.email])

    assert not mail.outbox
    held = OutboundMessage.objects.get(user=bram, channel="email")
    assert (held.topic, held.not_before) == ("teams", datetime(2026, 11, 26, 7, 0, tzinfo=UTC))


def test_the_welcome_message_goes_to_the_inbox_only(api_client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = api_client.post(
            "/api/v1/auth/register",
            {"email": "new@example.nl", "password": "groene-trein-2026"},
            format="json",
        )

    assert response.status_code == 202
    assert Notification.objects.get(user__email="new@example.nl").kind == "welcome"
    # The one e-mail is the address verification, not the welcome.
    assert [message.to for message in mail.outbox] == [["new@example.nl"]]
    assert "verify-email#token=" in mail.outbox[0].body
