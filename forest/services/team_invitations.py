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
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import partial

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q
from django.db.models.functions import Lower
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from forest.models.trees import Team, TeamInvitation, TeamMembership, Tree
from forest.services.trees import TreeError

logger = logging.getLogger(__name__)

Status = TeamInvitation.Status
Member = TeamMembership.Status


@dataclass(frozen=True)
class Invitee:
    """Someone to invite: an e-mail address (``user`` is its account, if any) or a user."""

    email: str
    user: object | None
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
    return Team.objects.select_for_update().filter(pk=team_id).first()


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
    """
    from accounts.selectors.users import public_holder_name

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
        if invitee.by_id and invitee.user.pk in active:
            raise TreeError(
                _("%(name)s is in this team already.") % {"name": public_holder_name(invitee.user)},
                code="already_member",
                status=400,
            )
        existing = by_user.get(invitee.user.pk) if invitee.by_id else by_email.get(invitee.email)
        result.append(existing or invitee)
        if existing is None:
            new.append(invitee)
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


# --------------------------------------------------------------------------------------------
# Delivery
# --------------------------------------------------------------------------------------------


def join_link(token: str) -> str:
    # In the fragment, so the token stays out of web-server logs and Referer headers.
    return f"{settings.SITE_URL.rstrip('/')}/teams/join#token={token}"


def _locale_of(user) -> str:
    profile = getattr(user, "profile", None)
    return profile.locale if profile is not None else "nl"


def _render(template: str, locale: str, context: dict) -> tuple[str, str]:
    with translation.override(locale):
        subject = render_to_string("emails/team_invitation_subject.txt", context)
        body = render_to_string(f"emails/team_invitation_{template}.txt", context)
    return " ".join(subject.split()), body.strip() + "\n"


def _deliver(invitation: TeamInvitation, *, token: str, inviter) -> None:
    """Inbox message now; e-mail once the invitation is committed."""
    from accounts.models import Notification
    from accounts.selectors.users import public_holder_name
    from accounts.services.notifications import notification_dispatch

    context = {
        "inviter": public_holder_name(inviter),
        "team": invitation.team.name,
        "expires": timezone.localtime(invitation.expires_at).date().isoformat(),
    }
    user = invitation.invited_user
    if user is not None:
        subject, body = _render("member", _locale_of(user), context)
        notification_dispatch(
            user_id=user.pk,
            topic="teams",
            kind=Notification.Kind.TREE,
            title=subject[:200],
            body=body,
            dedupe_key=f"team-invitation:{invitation.pk}",
            email=True,
            email_after_commit=True,
        )
        return
    # The address has no account, so no language of its own: the inviter's is likeliest.
    context.update(email=invitation.email, link=join_link(token))
    subject, body = _render("signup", _locale_of(inviter), context)
    transaction.on_commit(partial(_send, subject, body, invitation.email, invitation.pk))


def _send(subject: str, body: str, to: str, invitation_id: int) -> None:
    try:
        send_mail(subject, body, None, [to])
    except Exception:  # committed already: a mail failure must not turn into a 500
        logger.exception("team invitation %s: e-mail not sent", invitation_id)


# --------------------------------------------------------------------------------------------
# Inviting, accepting, declining and revoking
# --------------------------------------------------------------------------------------------


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
        invitation = TeamInvitation.objects.get(pk=found.pk)  # re-read under the team's lock
        user = get_user_model().objects.get(pk=user_id)
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
    messages = {
        Status.ACCEPTED: _("This invitation is accepted already."),
        Status.DECLINED: _("This invitation is declined already."),
        Status.REVOKED: _("This invitation is revoked already."),
        Status.EXPIRED: _("This invitation is expired already."),
    }
    return messages.get(status) or _("This invitation is %(status)s already.") % {"status": status}


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
    from accounts.selectors.users import public_holder_name

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
