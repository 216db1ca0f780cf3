"""Read queries for co-planting teams: a user's teams and how a member sees one."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Prefetch, QuerySet

from accounts.selectors.users import public_holder_name
from forest.models import Tree
from forest.models.trees import Team, TeamInvitation, TeamMembership
from forest.services.team_invitations import _is_active_member, mask_email


def teams_for_user(user_id: int) -> QuerySet[Team]:
    """Teams the user is in or invited to, newest first, with memberships and growing tree."""
    return (
        Team.objects.filter(
            memberships__user_id=user_id,
            memberships__status__in=[TeamMembership.Status.INVITED, TeamMembership.Status.ACTIVE],
        )
        .prefetch_related(
            Prefetch(
                "memberships",
                queryset=TeamMembership.objects.select_related("user__profile").order_by(
                    "created_at", "id"
                ),
            ),
            Prefetch(
                "trees",
                queryset=Tree.objects.filter(status=Tree.Status.GROWING),
                to_attr="growing_trees",
            ),
        )
        .order_by("-created_at", "-id")
    )


def team_summary(team: Team, *, user_id: int) -> dict:
    """A ``teams_for_user`` row as the app shows it: members by display name, and your place."""
    mine = next(m for m in team.memberships.all() if m.user_id == user_id)
    growing = team.growing_trees[0].id if team.growing_trees else None  # type: ignore[attr-defined]  # teams_for_user's Prefetch
    return {
        "id": team.id,
        "name": team.name,
        "your_status": mine.status,
        "growing_tree": growing,
        "members": [
            {"name": public_holder_name(m.user), "status": m.status, "you": m.user_id == user_id}
            for m in team.memberships.all()
            if m.status in (TeamMembership.Status.INVITED, TeamMembership.Status.ACTIVE)
        ],
        "created_at": team.created_at,
    }


def team_invitations_for_member(*, user_id: int, team_id: int) -> list[TeamInvitation]:
    """A team's invitations, newest first, for its active members only."""
    if not _is_active_member(team_id, user_id):
        raise Team.DoesNotExist
    return list(
        TeamInvitation.objects.filter(team_id=team_id)
        .select_related("invited_user__profile", "invited_by__profile")
        .order_by("-created_at", "-id")[:100]
    )


def invitation_row(invitation: TeamInvitation, *, viewer_id: int, now: datetime) -> dict:
    """An invitation as a member sees it. Never says whether an address has an account."""
    yours = invitation.invited_by_id == viewer_id
    email = None
    name = None
    if invitation.email:
        email = invitation.email if yours else mask_email(invitation.email)
    elif invitation.invited_user is not None:  # invited as a friend, by user: shown by name
        name = public_holder_name(invitation.invited_user)
    return {
        "id": invitation.pk,
        "email": email,
        "name": name,
        "status": invitation.current_status(now),
        "invited_by": public_holder_name(invitation.invited_by) if invitation.invited_by else None,
        "you_invited": yours,
        "created_at": invitation.created_at,
        "expires_at": invitation.expires_at,
        "responded_at": invitation.responded_at,
    }
