"""Real concurrency on PostgreSQL: invitations racing for a team's last seat."""

from __future__ import annotations

import pytest

from forest.models.trees import TeamInvitation, TeamMembership
from forest.services.team_invitations import team_invite
from forest.services.team_joining import team_invitation_accept
from tests.accounts.factories import UserFactory
from tests.concurrency import race
from tests.forest.tree_factories import TeamFactory, TeamInvitationFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def active_count(team) -> int:
    return TeamMembership.objects.filter(team=team, status="active").count()


def test_two_members_inviting_for_the_last_seat_at_once_invite_one():
    anna, bram = UserFactory(), UserFactory()
    team = TeamFactory(created_by=anna, members=[bram, *UserFactory.create_batch(7)])  # 9

    results, errors = race(
        lambda inviter, email: team_invite(inviter_id=inviter.id, team_id=team.id, emails=[email]),
        [(anna, "x@example.org"), (bram, "y@example.org")],
    )

    assert len(results) == 1, errors
    assert [getattr(e, "code", e) for e in errors] == ["too_many_members"]
    assert TeamInvitation.objects.filter(team=team, status="pending").count() == 1


def test_the_same_token_accepted_twice_at_once_joins_once():
    invitation = TeamInvitationFactory(email="dirk@example.org")
    dirk = UserFactory(email="dirk@example.org")

    results, errors = race(
        lambda: team_invitation_accept(user_id=dirk.id, token=invitation.token), [(), ()]
    )

    assert len(results) == 1, errors
    assert [getattr(e, "code", e) for e in errors] == ["invitation_used"]
    assert active_count(invitation.team) == 2
    invitation.refresh_from_db()
    assert invitation.status == "accepted"


def test_two_invitations_racing_for_the_last_seat_never_make_eleven():
    # Nine members and two open invitations: more than the service lets happen (say, made by
    # an operator), to show that accepting alone still never passes ten.
    team = TeamFactory(members=UserFactory.create_batch(8))
    first = TeamInvitationFactory(team=team, email="dirk@example.org")
    second = TeamInvitationFactory(team=team, email="eva@example.org")
    dirk = UserFactory(email="dirk@example.org")
    eva = UserFactory(email="eva@example.org")

    results, errors = race(
        lambda user, invitation: team_invitation_accept(user_id=user.id, token=invitation.token),
        [(dirk, first), (eva, second)],
    )

    assert len(results) == 1, errors
    assert [getattr(e, "code", e) for e in errors] == ["team_full"]
    assert active_count(team) == 10
    assert sorted(TeamInvitation.objects.filter(team=team).values_list("status", flat=True)) == [
        "accepted",
        "pending",
    ]
