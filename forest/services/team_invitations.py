"""Invitations to co-planting teams: by e-mail address (with or without an account) or by user.

* A team holds at most ``Team.MAX_MEMBERS`` people, counting active members, open invitations
  and invited memberships from before invitations were records. Every change to a team's
  members or invitations locks the team row first, so two requests cannot both take the last
  seat.
* Nothing a member sees depends on whether an invited address has an account: the answer,
  the invitation list and the seat count are the same. Only the delivery differs: an existing
  user gets an inbox message and an e-mail, an unknown address an e-mail with a single-use
  link. The token is stored as a SHA-256 only.
* Expiry is lazy: a pending invitation past ``expires_at`` no longer counts and cannot be
  used; it is marked expired the next time its team is locked.
* Invitations are taken only while the team has no fully grown tree: the certificate names the
  team's active members, so a newcomer would appear on a tree they never grew.

Delivery (inbox message, e-mail) is ``forest.services.team_invitation_delivery``, accepting
an invitation ``forest.services.team_joining``, the lists ``forest.selectors.teams``.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.selectors.users import public_holder_name
from core.locks import lock_rows
from forest.models.trees import Team, TeamInvitation, TeamMembership, Tree
from forest.services.team_invitation_delivery import _deliver
from forest.services.trees import TreeError

if TYPE_CHECKING:
    from accounts.models import User

logger = logging.getLogger(__name__)

Status = TeamInvitation.Status
Member = TeamMembership.Status


@dataclass(frozen=True)
class Invitee:
    """Someone to invite: an e-mail address (``user`` is its account, if any) or a user."""

    email: str
    user: User | None
    by_id: bool


def normalise_email(value: str) -> str:
    return value.strip().lower()


def mask_email(email: str) -> str:
    """``bram.devries@example.nl`` → ``b***@e***.nl``: recognisable to whoever typed it."""
    local, _, domain = email.partition("@")
    host, dot, tld = domain.rpartition(".")
    if not dot:
        host, tld = domain, ""
    return f"{local[:1]}***@{host[:1]}***" + (f".{tld}" if tld else "")


def team_lock(team_id: int) -> Team | None:
    return lock_rows(Team.objects).filter(pk=team_id).first()


def _is_active_member(team_id: int, user_id: int) -> bool:
    return TeamMembership.objects.filter(
        team_id=team_id, user_id=user_id, status=Member.ACTIVE
    ).exists()


def team_is_closed(team: Team) -> bool:
    """True once one of the team's trees is fully grown (matured or planted)."""
    return team.trees.exclude(status=Tree.Status.GROWING).exists()


def _closed_error() -> TreeError:
    return TreeError(
        _("Your team's tree is fully grown: the team takes no new members."), code="team_closed"
    )


def seats_taken(team: Team, now: datetime) -> int:
    """Active members, open invitations and invited members without an invitation record."""
    active = TeamMembership.objects.filter(team=team, status=Member.ACTIVE).count()
    open_invitations = TeamInvitation.objects.pending(now).filter(team=team).count()
    legacy = (
        TeamMembership.objects.filter(team=team, status=Member.INVITED)
        .exclude(
            user_id__in=TeamInvitation.objects.filter(team=team, invited_user__isnull=False).values(
                "invited_user_id"
            )
        )
        .count()
    )
    return active + open_invitations + legacy


def _end_memberships(team: Team, user_ids: Iterable[int], now: datetime) -> None:
    """Invited members left without an open invitation are no longer invited."""
    user_ids = set(user_ids)
    if not user_ids:
        return
    still_open = set(
        TeamInvitation.objects.pending(now)
        .filter(team=team, invited_user_id__in=user_ids)
        .values_list("invited_user_id", flat=True)
    )
    TeamMembership.objects.filter(
        team=team, user_id__in=user_ids - still_open, status=Member.INVITED
    ).update(status=Member.EXPIRED, updated_at=now)


def expire_due(team: Team, now: datetime) -> None:
    """Mark the team's invitations past their date expired (the caller holds the team lock)."""
    due = list(
        TeamInvitation.objects.filter(
            team=team, status=Status.PENDING, expires_at__lte=now
        ).values_list("id", "invited_user_id")
    )
    if not due:
        return
    TeamInvitation.objects.filter(pk__in=[pk for pk, _ in due]).update(
        status=Status.EXPIRED, responded_at=now, updated_at=now
    )
    _end_memberships(team, {uid for _, uid in due if uid}, now)


def resolve_invitees(*, inviter, emails: Sequence[str], user_ids: Sequence[int]) -> list[Invitee]:
    """Who to invite. Unknown user ids are refused; e-mail addresses never are.

    The inviter's own address or id is left out, as is a repeated one.
    """
    User = get_user_model()
    own = inviter.email.lower()
    wanted = [e for e in dict.fromkeys(normalise_email(e) for e in emails) if e and e != own]
    ids = [pk for pk in dict.fromkeys(user_ids) if pk != inviter.id]
    known = User.objects.filter(pk__in=ids, is_active=True).select_related("profile").in_bulk()
    missing = [str(pk) for pk in ids if pk not in known]
    if missing:
        raise TreeError(
            _("Could not invite: %(ids)s.") % {"ids": ", ".join(missing)},
            code="unknown_invitee",
            status=400,
        )
    accounts = {
        u.email.lower(): u
        for u in User.objects.annotate(email_lower=Lower("email"))
        .filter(email_lower__in=wanted, is_active=True)
        .select_related("profile")
    }
    return [Invitee(email=e, user=accounts.get(e), by_id=False) for e in wanted] + [
        Invitee(email="", user=known[pk], by_id=True) for pk in ids
    ]


def invite_locked(
    *, team: Team, inviter, invitees: Sequence[Invitee], now: datetime, full_status: int
) -> list[TeamInvitation]:
    """Invite ``invitees`` to the locked ``team``; an address already invited is not re-sent.

    Answers the same for an address with or without an account (see the module docstring).
    Invitations e-mail other people, so only a verified address may send them, and at most
    ``CANOPY_INVITATIONS_PER_DAY`` a day per inviter and ``CANOPY_INVITATIONS_PER_RECIPIENT``
    a day per recipient, whoever sends them (429).
    """
    if getattr(inviter, "email_verified_at", None) is None:
        raise TreeError(
            _("Confirm your e-mail address before you invite anyone."),
            code="email_unverified",
            status=403,
        )
    open_invitations = list(TeamInvitation.objects.pending(now).filter(team=team))
    by_email = {i.email: i for i in open_invitations if i.email}
    by_user = {i.invited_user_id: i for i in open_invitations if not i.email}
    active = set(
        TeamMembership.objects.filter(team=team, status=Member.ACTIVE).values_list(
            "user_id", flat=True
        )
    )
    result: list[TeamInvitation | Invitee] = []
    new: list[Invitee] = []
    for invitee in invitees:
        if invitee.by_id and invitee.user is not None and invitee.user.pk in active:
            raise TreeError(
                _("%(name)s is in this team already.") % {"name": public_holder_name(invitee.user)},
                code="already_member",
                status=400,
            )
        existing = (
            by_user.get(invitee.user.pk)
            if invitee.by_id and invitee.user is not None
            else by_email.get(invitee.email)
        )
        result.append(existing or invitee)
        if existing is None:
            new.append(invitee)
    _check_invitation_budgets(inviter=inviter, new=new, now=now)
    if seats_taken(team, now) + len(new) > Team.MAX_MEMBERS:
        raise TreeError(
            _("A team has at most %(max)s members, you and open invitations included.")
            % {"max": Team.MAX_MEMBERS},
            code="too_many_members",
            status=full_status,
        )
    created = {
        id(i): _invitation_create(team=team, inviter=inviter, invitee=i, now=now) for i in new
    }
    return [created[id(r)] if isinstance(r, Invitee) else r for r in result]


def _check_invitation_budgets(*, inviter, new: Sequence[Invitee], now: datetime) -> None:
    """Refuse (429) invitations past the inviter's or a recipient's budget for the last day."""
    if not new:
        return
    since = now - timedelta(days=1)
    recent = TeamInvitation.objects.filter(created_at__gte=since)
    sent = recent.filter(invited_by=inviter).count()
    if sent + len(new) > settings.CANOPY_INVITATIONS_PER_DAY:
        raise TreeError(
            _("You can send at most %(max)s invitations a day; try again tomorrow.")
            % {"max": settings.CANOPY_INVITATIONS_PER_DAY},
            code="invitation_limit",
            status=429,
        )
    for invitee in new:
        if invitee.email:
            received = recent.filter(email=invitee.email).count()
        else:
            received = recent.filter(invited_user=invitee.user).count()
        if received >= settings.CANOPY_INVITATIONS_PER_RECIPIENT:
            # Same answer with or without an account, like everything else here.
            raise TreeError(
                _("%(who)s was invited often enough today; try again tomorrow.")
                % {"who": mask_email(invitee.email) if invitee.email else _("This person")},
                code="recipient_invitation_limit",
                status=429,
            )


def _invitation_create(*, team: Team, inviter, invitee: Invitee, now: datetime) -> TeamInvitation:
    token = secrets.token_urlsafe(32)
    invitation = TeamInvitation.objects.create(
        team=team,
        email=invitee.email,
        invited_user=invitee.user,
        invited_by=inviter,
        token_hash=TeamInvitation.hash_token(token),
        expires_at=now + TeamInvitation.TTL,
    )
    if invitee.user is not None:
        _membership_invite(team, invitee.user.pk)
    _deliver(invitation, token=token, inviter=inviter)
    return invitation


def _membership_invite(team: Team, user_id: int) -> None:
    """Existing users see the team in their list as invited (unless they are in it already)."""
    membership = TeamMembership.objects.filter(team=team, user_id=user_id).first()
    if membership is None:
        TeamMembership.objects.create(team=team, user_id=user_id, status=Member.INVITED)
    elif membership.status in (Member.DECLINED, Member.LEFT, Member.EXPIRED):
        membership.status = Member.INVITED
        membership.save(update_fields=["status", "updated_at"])


@transaction.atomic
def team_invite(
    *,
    inviter_id: int,
    team_id: int,
    emails: Sequence[str] = (),
    user_ids: Sequence[int] = (),
    now: datetime | None = None,
) -> list[TeamInvitation]:
    """Invite more people to a team the inviter is an active member of.

    Raises ``Team.DoesNotExist`` for a team that is not theirs (the API answers 404).
    """
    now = now or timezone.now()
    team = team_lock(team_id)
    if team is None or not _is_active_member(team.pk, inviter_id):
        raise Team.DoesNotExist
    expire_due(team, now)
    if team_is_closed(team):
        raise _closed_error()
    inviter = get_user_model().objects.select_related("profile").get(pk=inviter_id)
    invitees = resolve_invitees(inviter=inviter, emails=emails, user_ids=user_ids)
    if not invitees:
        raise TreeError(
            _("Give an e-mail address or a friend to invite."), code="no_invitees", status=400
        )
    return invite_locked(team=team, inviter=inviter, invitees=invitees, now=now, full_status=409)


@transaction.atomic
def team_invitation_revoke(
    *, user_id: int, team_id: int, invitation_id: int, now: datetime | None = None
) -> TeamInvitation:
    """Withdraw a pending invitation; only the member who sent it may."""
    now = now or timezone.now()
    team = team_lock(team_id)
    if team is None or not _is_active_member(team.pk, user_id):
        raise Team.DoesNotExist
    invitation = TeamInvitation.objects.filter(team=team, pk=invitation_id).first()
    if invitation is None:
        raise TeamInvitation.DoesNotExist
    if invitation.invited_by_id != user_id:
        raise TreeError(
            _("Only the member who sent an invitation can withdraw it."),
            code="not_inviter",
            status=403,
        )
    current = invitation.current_status(now)
    if current != Status.PENDING:
        raise TreeError(
            _not_pending_message(current),
            code="not_pending",
        )
    invitation.status = Status.REVOKED
    invitation.responded_at = now
    invitation.save(update_fields=["status", "responded_at", "updated_at"])
    if invitation.invited_user_id:
        _end_memberships(team, {invitation.invited_user_id}, now)
    return invitation


def _not_pending_message(status: str) -> str:
    # One sentence per status: a status spliced into a sentence cannot be translated well.
    messages: dict[str, str] = {
        Status.ACCEPTED: _("This invitation is accepted already."),
        Status.DECLINED: _("This invitation is declined already."),
        Status.REVOKED: _("This invitation is revoked already."),
        Status.EXPIRED: _("This invitation is expired already."),
    }
    return messages.get(status) or _("This invitation is %(status)s already.") % {"status": status}
