"""Invitation e-mails cannot be used to relay text: verified senders, no user text in subjects,
budgets per inviter and per recipient."""

from __future__ import annotations

import pytest
from django.core import mail

from forest.models.trees import Team, TeamInvitation
from tests.accounts.factories import UserFactory
from tests.clients import api_client_for
from tests.forest.test_team_invitations import named
from tests.forest.tree_factories import TeamFactory

pytestmark = pytest.mark.django_db


def _invite(client, team, emails, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return client.post(f"/api/v1/teams/{team.id}/invitations", {"emails": emails})


def test_an_unverified_address_cannot_invite(django_capture_on_commit_callbacks):
    anna = UserFactory(email_verified_at=None)
    team = TeamFactory(created_by=anna)

    response = _invite(
        api_client_for(anna), team, ["x@example.org"], django_capture_on_commit_callbacks
    )

    assert response.status_code == 403
    assert response.json()["code"] == "email_unverified"
    assert not TeamInvitation.objects.exists()
    assert not mail.outbox


def test_an_unverified_address_cannot_create_a_team_with_invitees():
    anna = UserFactory(email_verified_at=None)
    response = api_client_for(anna).post(
        "/api/v1/teams", {"name": "Ons bos", "invite_emails": ["x@example.org"]}, format="json"
    )
    assert response.status_code == 403
    assert not Team.objects.exists()
    assert not TeamInvitation.objects.exists()
    assert not mail.outbox


def test_the_subject_carries_no_user_text(django_capture_on_commit_callbacks):
    spam = "WIN A PRIZE at http://evil.example"
    anna = named(spam)
    team = TeamFactory(created_by=anna, name=spam)

    response = _invite(
        api_client_for(anna), team, ["victim@example.org"], django_capture_on_commit_callbacks
    )

    assert response.status_code == 201
    (message,) = mail.outbox
    assert "evil" not in message.subject and "WIN" not in message.subject


def test_an_inviter_has_a_daily_budget(settings, django_capture_on_commit_callbacks):
    settings.CANOPY_INVITATIONS_PER_DAY = 3
    anna = UserFactory()
    client = api_client_for(anna)
    teams = [TeamFactory(created_by=anna) for _ in range(2)]
    first = _invite(
        client, teams[0], ["a@example.org", "b@example.org"], django_capture_on_commit_callbacks
    )
    over = _invite(
        client, teams[1], ["c@example.org", "d@example.org"], django_capture_on_commit_callbacks
    )

    assert first.status_code == 201
    assert over.status_code == 429
    assert over.json()["code"] == "invitation_limit"
    assert TeamInvitation.objects.count() == 2
    assert len(mail.outbox) == 2


def test_a_recipient_has_a_daily_budget_whoever_invites(
    settings, django_capture_on_commit_callbacks
):
    settings.CANOPY_INVITATIONS_PER_RECIPIENT = 2
    codes = []
    for _ in range(3):
        inviter = UserFactory()
        team = TeamFactory(created_by=inviter)
        response = _invite(
            api_client_for(inviter),
            team,
            ["victim@example.org"],
            django_capture_on_commit_callbacks,
        )
        codes.append(response.status_code)

    assert codes == [201, 201, 429]
    assert [m.to for m in mail.outbox] == [["victim@example.org"]] * 2
