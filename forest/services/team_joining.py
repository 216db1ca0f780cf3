"""Joining a team through an invitation, under the team's lock; why an answered one fails."""

from __future__ import annotations

from datetime import datetime

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from forest.models.trees import Team, TeamInvitation, TeamMembership
from forest.services.team_invitations import (
    Member,
    Status,
    _closed_error,
    expire_due,
    mask_email,
    team_is_closed,
    team_lock,
)
from forest.services.trees import TreeError


def ended_error(team: Team, user_id: int) -> TreeError:
    latest = (
        TeamInvitation.objects.filter(team=team, invited_user_id=user_id)
        .order_by("-responded_at", "-id")
        .first()
    )
    return _status_error(latest.status if latest else Status.EXPIRED)


def _status_error(status: str) -> TreeError:
    if status == Status.ACCEPTED:
        return TreeError(_("This invitation has been accepted already."), code="invitation_used")
    if status == Status.DECLINED:
        return TreeError(_("This invitation was declined."), code="invitation_declined")
    if status == Status.REVOKED:
        return TreeError(_("This invitation was withdrawn."), code="invitation_revoked", status=410)
    return TreeError(
        _("This invitation has expired; ask the team for a new one."),
        code="invitation_expired",
        status=410,
    )


def join_locked(
    *, team: Team, user, invitation: TeamInvitation | None, now: datetime
) -> TeamMembership | TreeError:
    """Make ``user`` an active member through ``invitation`` (None: an old invited membership).

    Returns the error rather than raising it, so the caller can keep what was marked expired.
    """
    if invitation is not None and invitation.current_status(now) != Status.PENDING:
        return _status_error(invitation.current_status(now))
    membership = TeamMembership.objects.filter(team=team, user=user).first()
    if membership is None or membership.status != Member.ACTIVE:
        if team_is_closed(team):
            return _closed_error()
        active = TeamMembership.objects.filter(team=team, status=Member.ACTIVE).count()
        if active >= Team.MAX_MEMBERS:
            return TreeError(_("The team is full."), code="team_full")
        if membership is None:
            membership = TeamMembership.objects.create(
                team=team, user=user, status=Member.ACTIVE, joined_at=now
            )
        else:
            membership.status = Member.ACTIVE
            membership.joined_at = now
            membership.save(update_fields=["status", "joined_at", "updated_at"])
    # Every open invitation of theirs is answered: the seats they held are one seat now.
    mine = Q(invited_user=user) | Q(email=user.email.lower())
    if invitation is not None:
        mine |= Q(pk=invitation.pk)
    TeamInvitation.objects.pending(now).filter(team=team).filter(mine).update(
        status=Status.ACCEPTED, accepted_by=user, responded_at=now, updated_at=now
    )
    return membership


def raise_or_return(outcome):
    if isinstance(outcome, TreeError):
        raise outcome
    return outcome


def team_invitation_accept(*, user_id: int, token: str, now: datetime | None = None) -> Team:
    """Join a team with the token from an invitation e-mail.

    The token is bound to the invited address: the user's account e-mail must be it (for an
    invitation by user, the user must be that user). Raises ``TeamInvitation.DoesNotExist``
    for an unknown token.
    """
    now = now or timezone.now()
    found = TeamInvitation.objects.filter(token_hash=TeamInvitation.hash_token(token)).first()
    if found is None:
        raise TeamInvitation.DoesNotExist
    with transaction.atomic():
        team = team_lock(found.team_id)
        if team is None:  # deleted meanwhile, and the invitation with it (cascade)
            raise TeamInvitation.DoesNotExist
        invitation = TeamInvitation.objects.get(pk=found.pk)  # re-read under the team's lock
        user = get_user_model().objects.get(pk=user_id)
        outcome: TeamMembership | TreeError
        if invitation.email and invitation.email != user.email.lower():
            outcome = TreeError(
                _("This invitation was sent to %(email)s; sign in with that address to accept it.")
                % {"email": mask_email(invitation.email)},
                code="email_mismatch",
                status=403,
            )
        elif not invitation.email and invitation.invited_user_id != user.pk:
            outcome = TreeError(
                _("This invitation is for someone else."), code="email_mismatch", status=403
            )
        else:
            expire_due(team, now)
            invitation.refresh_from_db()
            outcome = join_locked(team=team, user=user, invitation=invitation, now=now)
    raise_or_return(outcome)
    return team
