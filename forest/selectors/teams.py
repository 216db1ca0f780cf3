"""Read queries for co-planting teams: a user's teams and how a member sees one."""

from __future__ import annotations

from django.db.models import QuerySet

from forest.models import Tree
from forest.models.trees import Team, TeamMembership
from forest.selectors.certificates import public_holder_name


def teams_for_user(user_id: int) -> QuerySet[Team]:
    """Teams the user is in or invited to, newest first, with memberships and growing tree."""
    from django.db.models import Prefetch

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
    growing = team.growing_trees[0].id if team.growing_trees else None
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
