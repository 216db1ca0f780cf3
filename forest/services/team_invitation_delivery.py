"""Delivering a team invitation: an inbox message for a member, else an e-mail with a link."""

from __future__ import annotations

import logging
from functools import partial
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation

from accounts.models import Notification
from accounts.selectors.users import public_holder_name
from accounts.services.notifications import notification_dispatch

if TYPE_CHECKING:
    from forest.models.trees import TeamInvitation

logger = logging.getLogger(__name__)


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
