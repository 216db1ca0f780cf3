"""Proving an e-mail address: a signed, expiring token mailed to it, confirmed through the API.

The token is ``django.core.signing`` over the user id and the address (no table): it dies
after ``CANOPY_EMAIL_VERIFICATION_DAYS`` days, and as soon as the address changes. Registration
answers the same for a new and a taken address (202): the new one gets the verification
e-mail, the owner of the taken one a note that someone tried to register with it.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.core import signing
from django.core.mail import send_mail
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.models import Profile, User

logger = logging.getLogger(__name__)

SALT = "canopy.accounts.email-verification"


class VerificationInvalid(ValueError):
    """The token is forged, expired, or for an address the account no longer has."""


def email_verification_token(user: User) -> str:
    return signing.dumps({"u": user.pk, "e": user.email}, salt=SALT, compress=True)


def email_verify(*, token: str) -> User:
    """Mark the token's address verified (idempotent); raises ``VerificationInvalid``."""
    max_age = settings.CANOPY_EMAIL_VERIFICATION_DAYS * 24 * 3600
    try:
        data = signing.loads(token, salt=SALT, max_age=max_age)
    except signing.BadSignature:  # SignatureExpired is a BadSignature
        raise VerificationInvalid(_("This verification link is invalid or has expired.")) from None
    user = User.objects.filter(pk=data.get("u"), is_active=True).first()
    if user is None or user.email != data.get("e"):
        raise VerificationInvalid(_("This verification link is invalid or has expired."))
    if user.email_verified_at is None:
        user.email_verified_at = timezone.now()
        user.save(update_fields=["email_verified_at"])
    return user


def _locale(user: User) -> str:
    profile = Profile.objects.filter(user=user).first()
    return profile.locale if profile is not None else "nl"


def _mail(user: User, subject: str, body: str) -> None:
    try:
        send_mail(subject, body, None, [user.email])
    except Exception:  # after commit, from a task: a mail failure must not become a 500
        logger.exception("user %s: account e-mail not sent", user.pk)


def email_verification_send(*, user: User) -> None:
    """Mail the verification token (the app opens the link and posts it to the API)."""
    token = email_verification_token(user)
    link = f"{settings.SITE_URL.rstrip('/')}/verify-email#token={token}"
    with translation.override(_locale(user)):
        subject = _("Confirm your e-mail address for Canopy")
        body = _(
            "Confirm that this is your address by opening this link in the Canopy app:\n%(link)s"
            "\n\nThe link is valid for %(days)d days. If you did not create a Canopy account, "
            "you can ignore this e-mail."
        ) % {"link": link, "days": settings.CANOPY_EMAIL_VERIFICATION_DAYS}
    _mail(user, subject, body)


def registration_attempt_notify(*, user: User) -> None:
    """Someone registered with an address that has an account: tell its owner, nobody else."""
    with translation.override(_locale(user)):
        subject = _("Someone tried to create a Canopy account with your address")
        body = _(
            "Someone tried to create a new Canopy account with this e-mail address, which "
            "already has one. If it was you, log in with your password instead. If it was not, "
            "you can ignore this e-mail: nothing has changed."
        )
    _mail(user, subject, body)
