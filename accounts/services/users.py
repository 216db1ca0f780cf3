"""Writes on identity: registration, profile changes, passwords, the inbox."""

from __future__ import annotations

from django.contrib.auth.password_validation import validate_password
from django.db import IntegrityError, transaction

from accounts.models import Notification, Profile, User


class EmailTaken(ValueError):
    pass


@transaction.atomic
def user_register(
    *, email: str, password: str, display_name: str = "", locale: str = "nl", time_zone: str = ""
) -> User:
    """Create a consumer with a profile and queue the welcome message."""
    email = User.objects.normalize_email(email).lower()
    if User.objects.filter(email__iexact=email).exists():
        raise EmailTaken(email)
    candidate = User(email=email)
    validate_password(password, user=candidate)
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

    from accounts.tasks import welcome_notification_task

    transaction.on_commit(lambda: welcome_notification_task.delay(user.id))
    return user


def profile_for(user: User) -> Profile:
    profile, _ = Profile.objects.get_or_create(user=user)
    return profile


@transaction.atomic
def profile_update(*, user: User, **fields) -> Profile:
    profile = profile_for(user)
    for name, value in fields.items():
        setattr(profile, name, value)
    profile.full_clean(exclude=["user"])
    profile.save(update_fields=[*fields, "updated_at"])
    return profile


@transaction.atomic
def password_change(*, user: User, old_password: str, new_password: str) -> None:
    if not user.check_password(old_password):
        raise ValueError("The current password is not correct.")
    validate_password(new_password, user=user)
    user.set_password(new_password)
    user.save(update_fields=["password"])


def notify(
    *, user_id: int, kind: str, title: str, body: str, dedupe_key: str, topic: str = "trees"
) -> bool:
    """Inbox message (and push, as the user allows) through ``notification_dispatch``.

    Kept for callers written before the dispatch module; new code calls
    ``accounts.notifications.notification_dispatch`` with its topic.
    """
    from accounts.notifications import notification_dispatch

    return notification_dispatch(
        user_id=user_id, topic=topic, kind=kind, title=title, body=body, dedupe_key=dedupe_key
    )


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
    from accounts.notifications import notification_dispatch

    return notification_dispatch(
        user_id=user.id,
        topic="trees",
        kind=Notification.Kind.WELCOME,
        title=title,
        body=body,
        dedupe_key=f"welcome:{user.id}",
    )
