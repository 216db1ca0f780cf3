"""Writes on identity: registration, profile changes, passwords, the welcome, anonymisation."""

from __future__ import annotations

import secrets
from datetime import datetime

from django.contrib.admin.models import LogEntry
from django.contrib.auth.password_validation import validate_password
from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken

from accounts.models import Notification, Profile, User
from accounts.selectors.users import ERASED_EMAIL_DOMAIN
from accounts.services.notifications import notification_dispatch


class EmailTaken(ValueError):
    """The address has an account; ``user_id`` is that account (to notify its owner)."""

    def __init__(self, email: str, user_id: int | None = None) -> None:
        super().__init__(email)
        self.user_id = user_id


@transaction.atomic
def user_register(
    *, email: str, password: str, display_name: str = "", locale: str = "nl", time_zone: str = ""
) -> User:
    """Create a consumer with a profile; queue the welcome message and the verification e-mail.

    The password is judged before the address is looked up, so a weak password answers the
    same whether or not the address has an account.
    """
    email = User.objects.normalize_email(email).lower()
    candidate = User(email=email)
    validate_password(password, user=candidate)
    taken = User.objects.filter(email__iexact=email).values_list("pk", flat=True).first()
    if taken is not None:
        raise EmailTaken(email, taken)
    try:
        with transaction.atomic():
            user = User.objects.create_user(email=email, password=password)
    except IntegrityError as exc:  # two registrations racing for one address
        raise EmailTaken(email) from exc
    profile = Profile(user=user, display_name=display_name, locale=locale)
    if time_zone:
        profile.time_zone = time_zone
    profile.full_clean(exclude=["user"])
    profile.save()

    # cycle: accounts.tasks imports the services
    from accounts.tasks import email_verification_task, welcome_notification_task

    transaction.on_commit(lambda: welcome_notification_task.delay(user.id))
    transaction.on_commit(lambda: email_verification_task.delay(user.id))
    return user


def profile_for(user: User) -> Profile:
    profile, _ = Profile.objects.get_or_create(user=user)
    return profile


@transaction.atomic
def profile_update(*, user: User, now: datetime | None = None, **fields) -> Profile:
    """Change profile fields. A new time zone pins the limit day in progress first: daily
    limits keep counting in it until it ends (``core.timezones.limit_day``)."""
    profile = profile_for(user)
    update = [*fields]
    if "time_zone" in fields and fields["time_zone"] != profile.time_zone:
        pinned = profile.limit_day_at(now or timezone.now())
        profile.limit_day_pinned = pinned.day
        profile.limit_day_pinned_start = pinned.start
        profile.limit_day_pinned_end = pinned.end
        update += ["limit_day_pinned", "limit_day_pinned_start", "limit_day_pinned_end"]
    for name, value in fields.items():
        setattr(profile, name, value)
    profile.full_clean(exclude=["user"])
    profile.save(update_fields=[*update, "updated_at"])
    return profile


@transaction.atomic
def password_change(*, user: User, old_password: str, new_password: str) -> int:
    """Set the new password and revoke every refresh token issued before it.

    Whoever knew the old password may hold a refresh token; it must die with the password.
    Access tokens carry a hash of the password (simplejwt's CHECK_REVOKE_TOKEN) and stop
    working at once, and Django's session hash ends every portal and admin session; the
    view keeps only the caller signed in. Returns how many refresh tokens were revoked.
    """
    if not user.check_password(old_password):
        raise ValueError("The current password is not correct.")
    validate_password(new_password, user=user)
    user.set_password(new_password)
    user.save(update_fields=["password"])
    return refresh_tokens_revoke(user=user)


def refresh_tokens_revoke(*, user: User) -> int:
    """Blacklist every outstanding refresh token of the user; returns how many were live."""
    live = OutstandingToken.objects.filter(user=user).exclude(
        Exists(BlacklistedToken.objects.filter(token_id=OuterRef("pk")))
    )
    ids = list(live.values_list("id", flat=True))
    BlacklistedToken.objects.bulk_create(
        [BlacklistedToken(token_id=pk) for pk in ids], ignore_conflicts=True
    )
    return len(ids)


def welcome_send(*, user: User) -> bool:
    profile = profile_for(user)
    if profile.locale == Profile.Locale.NL:
        title = "Welkom bij Canopy"
        body = (
            "Koppel je bankrekening, kies een boom en zie hem groeien met elke groene keuze. "
            "Als hij volgroeid is, planten we hem echt."
        )
    else:
        title = "Welcome to Canopy"
        body = (
            "Link your bank account, choose a tree and watch it grow with every green choice. "
            "When it is mature, we plant it for real."
        )

    return notification_dispatch(
        user_id=user.id,
        topic="trees",
        kind=Notification.Kind.WELCOME,
        title=title,
        body=body,
        dedupe_key=f"welcome:{user.id}",
    )


def erased_email() -> str:
    return f"deleted-{secrets.token_hex(12)}@{ERASED_EMAIL_DOMAIN}"


def user_anonymise(*, user: User, now) -> None:
    """The last step of an erasure (``privacy.erasure``): nothing personal stays on the row.

    The e-mail becomes an undeliverable placeholder, names are cleared, the password becomes
    unusable and the account inactive (access tokens stop working at once); the admin's
    history stops naming the address, and friends can no longer share the user's open drops.
    """
    user.email = erased_email()
    user.first_name = ""
    user.last_name = ""
    user.last_login = None
    user.is_active = False
    user.is_staff = False
    user.is_superuser = False
    user.set_unusable_password()
    user.save(
        update_fields=[
            "email",
            "first_name",
            "last_name",
            "last_login",
            "is_active",
            "is_staff",
            "is_superuser",
            "password",
        ]
    )
    user.groups.clear()
    user.user_permissions.clear()
    # The admin's history names the user by their e-mail address (str(user)).
    LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(User), object_id=str(user.pk)
    ).update(object_repr=user.email)
    # Friends can no longer take a share of the drops still open (they expire as usual).
    Profile.objects.filter(user=user).update(
        display_name="", city="", steal_opt_out=True, updated_at=now
    )
