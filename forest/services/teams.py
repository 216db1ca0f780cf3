"""Co-planting teams: friends (2 to 10) who grow one tree together.

Each member grows the team's tree from their own balance through ``tree_grow`` (same ledger
entries, locks and idempotency as a personal tree); the tree records how many grams each
member gave. A user may grow a personal tree and be in teams at the same time.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from forest.models.trees import Team, TeamMembership
from forest.services.trees import TreeError


def _invitees(*, creator_id: int, emails: Sequence[str], user_ids: Sequence[int]) -> list[int]:
    """User ids for the invitees; unknown ones are refused by name so the creator can fix them."""
    User = get_user_model()
    wanted_emails = {e.strip().lower() for e in emails if e.strip()}
    found = dict(
        User.objects.filter(email__in=wanted_emails, is_active=True).values_list("email", "id")
    )
    found = {email.lower(): pk for email, pk in found.items()}
    missing = sorted(wanted_emails - set(found))
    ids = set(found.values())
    if user_ids:
        known = set(
            User.objects.filter(pk__in=user_ids, is_active=True).values_list("id", flat=True)
        )
        missing += [str(pk) for pk in sorted(set(user_ids) - known)]
        ids |= known
    if missing:
        raise TreeError(
            f"Could not invite: {', '.join(missing)}.", code="unknown_invitee", status=400
        )
    ids.discard(creator_id)
    return sorted(ids)


@transaction.atomic
def team_create(
    *, creator_id: int, name: str, emails: Sequence[str] = (), user_ids: Sequence[int] = ()
) -> Team:
    """Create a team with its creator as member and the others invited (2 to 10 in all)."""
    name = name.strip()
    if not name:
        raise TreeError("Give the team a name.", code="invalid_name", status=400)
    invitees = _invitees(creator_id=creator_id, emails=emails, user_ids=user_ids)
    if len(invitees) + 1 < Team.MIN_MEMBERS:
        raise TreeError("Invite at least one friend.", code="too_few_members", status=400)
    if len(invitees) + 1 > Team.MAX_MEMBERS:
        raise TreeError(
            f"A team has at most {Team.MAX_MEMBERS} members, you included.",
            code="too_many_members",
            status=400,
        )
    now = timezone.now()
    team = Team.objects.create(name=name[:80], created_by_id=creator_id)
    TeamMembership.objects.bulk_create(
        [TeamMembership(team=team, user_id=creator_id, status="active", joined_at=now)]
        + [TeamMembership(team=team, user_id=pk) for pk in invitees]
    )
    return team


def _locked_membership(user_id: int, team_id: int) -> TeamMembership:
    """The user's membership, with the team row locked (serialises joins and leaves)."""
    team = Team.objects.select_for_update().filter(pk=team_id).first()
    membership = TeamMembership.objects.filter(team=team, user_id=user_id).first() if team else None
    if membership is None or membership.status == TeamMembership.Status.DECLINED:
        raise Team.DoesNotExist
    return membership


@transaction.atomic
def team_accept(*, user_id: int, team_id: int) -> TeamMembership:
    membership = _locked_membership(user_id, team_id)
    if membership.status == TeamMembership.Status.ACTIVE:
        return membership
    if membership.status != TeamMembership.Status.INVITED:
        raise TreeError("You left this team; ask for a new invitation.", code="not_invited")
    active = TeamMembership.objects.filter(
        team_id=team_id, status=TeamMembership.Status.ACTIVE
    ).count()
    if active >= Team.MAX_MEMBERS:  # cannot happen while invitations count, but cheap to check
        raise TreeError("The team is full.", code="too_many_members")
    membership.status = TeamMembership.Status.ACTIVE
    membership.joined_at = timezone.now()
    membership.save(update_fields=["status", "joined_at", "updated_at"])
    return membership


@transaction.atomic
def team_decline(*, user_id: int, team_id: int) -> None:
    membership = _locked_membership(user_id, team_id)
    if membership.status != TeamMembership.Status.INVITED:
        raise TreeError("There is no invitation to decline.", code="not_invited")
    membership.status = TeamMembership.Status.DECLINED
    membership.save(update_fields=["status", "updated_at"])


@transaction.atomic
def team_leave(*, user_id: int, team_id: int) -> None:
    """Leave a team. Grams already grown stay in its tree and keep the member's name on it."""
    membership = _locked_membership(user_id, team_id)
    if membership.status != TeamMembership.Status.ACTIVE:
        raise TreeError("You are not a member of this team.", code="not_member")
    membership.status = TeamMembership.Status.LEFT
    membership.save(update_fields=["status", "updated_at"])


def team_lock_for_tree(*, user_id: int, team_id: int) -> Team:
    """The team row, locked, if the user may start its tree: an active member of 2 or more."""
    team = Team.objects.select_for_update().filter(pk=team_id).first()
    is_member = (
        team is not None
        and TeamMembership.objects.filter(
            team=team, user_id=user_id, status=TeamMembership.Status.ACTIVE
        ).exists()
    )
    if not is_member:
        raise TreeError("No such team of yours.", code="team_not_found", status=404)
    active = TeamMembership.objects.filter(team=team, status=TeamMembership.Status.ACTIVE).count()
    if active < Team.MIN_MEMBERS:
        raise TreeError(
            "A team tree needs at least two members; wait until a friend accepts.",
            code="too_few_members",
        )
    return team
