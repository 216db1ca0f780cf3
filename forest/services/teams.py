"""Co-planting teams: friends (2 to 10) who grow one tree together.

Each member grows the team's tree from their own balance through ``tree_grow`` (same ledger
entries, locks and idempotency as a personal tree); the tree records how many grams each
member gave. A user may grow a personal tree and be in teams at the same time.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from core.locks import lock_rows
from forest.models.trees import Team, TeamInvitation, TeamMembership
from forest.services.team_invitations import expire_due, invite_locked, resolve_invitees
from forest.services.team_joining import ended_error, join_locked, raise_or_return
from forest.services.trees import TreeError


@transaction.atomic
def team_create(
    *,
    creator_id: int,
    name: str,
    emails: Sequence[str] = (),
    user_ids: Sequence[int] = (),
    now: datetime | None = None,
) -> Team:
    """Create a team with its creator as member and 1 to 9 others invited (2 to 10 in all).

    E-mail addresses are invited whether or not they have an account (see
    ``forest.services.team_invitations``); unknown user ids are refused.
    """
    now = now or timezone.now()
    name = name.strip()
    if not name:
        raise TreeError(_("Give the team a name."), code="invalid_name", status=400)
    creator = get_user_model().objects.select_related("profile").get(pk=creator_id)
    invitees = resolve_invitees(inviter=creator, emails=emails, user_ids=user_ids)
    if not invitees:
        raise TreeError(_("Invite at least one friend."), code="too_few_members", status=400)
    if len(invitees) + 1 > Team.MAX_MEMBERS:
        raise TreeError(
            _("A team has at most %(max)s members, you included.") % {"max": Team.MAX_MEMBERS},
            code="too_many_members",
            status=400,
        )
    team = Team.objects.create(name=name[:80], created_by_id=creator_id)
    TeamMembership.objects.create(
        team=team, user_id=creator_id, status=TeamMembership.Status.ACTIVE, joined_at=now
    )
    invite_locked(team=team, inviter=creator, invitees=invitees, now=now, full_status=400)
    return team


def _locked_membership(user_id: int, team_id: int) -> TeamMembership:
    """The user's membership, with the team row locked (serialises joins and leaves)."""
    team = lock_rows(Team.objects).filter(pk=team_id).first()
    membership = TeamMembership.objects.filter(team=team, user_id=user_id).first() if team else None
    if membership is None or membership.status == TeamMembership.Status.DECLINED:
        raise Team.DoesNotExist
    return membership


def team_accept(*, user_id: int, team_id: int, now: datetime | None = None) -> TeamMembership:
    """Accept an invitation from the app (for users who had an account when invited).

    An invitation that expired or was withdrawn answers 410, and is marked so.
    """
    now = now or timezone.now()
    with transaction.atomic():
        membership = _locked_membership(user_id, team_id)
        team = membership.team
        expire_due(team, now)
        membership.refresh_from_db()
        invitation = (
            TeamInvitation.objects.pending(now)
            .filter(team=team, invited_user_id=user_id)
            .order_by("created_at", "id")
            .first()
        )
        if membership.status == TeamMembership.Status.ACTIVE and invitation is None:
            return membership
        outcome: TeamMembership | TreeError
        if membership.status == TeamMembership.Status.EXPIRED:
            outcome = ended_error(team, user_id)
        elif membership.status not in (
            TeamMembership.Status.INVITED,
            TeamMembership.Status.ACTIVE,  # a member whose address was invited again
        ):
            outcome = TreeError(
                _("You left this team; ask for a new invitation."), code="not_invited"
            )
        else:
            # None: invited before invitations were records; accepted as it always was.
            outcome = join_locked(team=team, user=membership.user, invitation=invitation, now=now)
    return raise_or_return(outcome)


@transaction.atomic
def team_decline(*, user_id: int, team_id: int, now: datetime | None = None) -> None:
    now = now or timezone.now()
    membership = _locked_membership(user_id, team_id)
    if membership.status != TeamMembership.Status.INVITED:
        raise TreeError(_("There is no invitation to decline."), code="not_invited")
    membership.status = TeamMembership.Status.DECLINED
    membership.save(update_fields=["status", "updated_at"])
    email = membership.user.email.lower()
    TeamInvitation.objects.pending(now).filter(team_id=team_id).filter(
        Q(invited_user_id=user_id) | Q(email=email)
    ).update(status=TeamInvitation.Status.DECLINED, responded_at=now, updated_at=now)


@transaction.atomic
def team_leave(*, user_id: int, team_id: int) -> None:
    """Leave a team. Grams already grown stay in its tree and keep the member's name on it."""
    membership = _locked_membership(user_id, team_id)
    if membership.status != TeamMembership.Status.ACTIVE:
        raise TreeError(_("You are not a member of this team."), code="not_member")
    membership.status = TeamMembership.Status.LEFT
    membership.save(update_fields=["status", "updated_at"])


def team_lock_for_tree(*, user_id: int, team_id: int) -> Team:
    """The team row, locked, if the user may start its tree: an active member of 2 or more."""
    team = lock_rows(Team.objects).filter(pk=team_id).first()
    is_member = (
        team is not None
        and TeamMembership.objects.filter(
            team=team, user_id=user_id, status=TeamMembership.Status.ACTIVE
        ).exists()
    )
    if team is None or not is_member:
        raise TreeError(_("No such team of yours."), code="team_not_found", status=404)
    active = TeamMembership.objects.filter(team=team, status=TeamMembership.Status.ACTIVE).count()
    if active < Team.MIN_MEMBERS:
        raise TreeError(
            _("A team tree needs at least two members; wait until a friend accepts."),
            code="too_few_members",
        )
    return team
