"""Reads on users: the name others may see, the language to answer in."""

from __future__ import annotations

from datetime import datetime

from django.utils.translation import gettext

from accounts.models import Profile, User
from core.timezones import LimitDay, limit_day


def public_holder_name(user: User) -> str:
    """Display name, else first name: never the e-mail address or the surname.

    A member who deleted their account (or was deactivated) is anonymous: their planted trees
    and certificates stay, naming "A Canopy member" (privacy.erasure).
    """
    if not user.is_active:
        return gettext("A Canopy member")
    profile = getattr(user, "profile", None)
    name = (profile.display_name if profile else "") or user.first_name
    return name.strip() or gettext("A Canopy member")


def profile_locale(user: User) -> str:
    """The language of the user's profile; Dutch for a user without one (one query)."""
    profile = Profile.objects.filter(user=user).only("locale").first()
    return profile.locale if profile else Profile.Locale.NL


# RFC 2606 reserves .invalid: mail to it can never be delivered.
ERASED_EMAIL_DOMAIN = "erased.invalid"


def user_is_erased(user: User) -> bool:
    """Whether the user's personal data was erased (``privacy.erasure.user_erase``)."""
    return user.email.endswith(f"@{ERASED_EMAIL_DOMAIN}") and not user.is_active


def user_limit_day(user_id: int, now: datetime) -> LimitDay:
    """The day the user's daily limits (steals, waterings, claim codes) count in at ``now``:
    their local day, kept fixed across a time-zone change until it ends (one query)."""
    profile = (
        Profile.objects.filter(user_id=user_id)
        .only("time_zone", "limit_day_pinned", "limit_day_pinned_start", "limit_day_pinned_end")
        .first()
    )
    if profile is None:
        return limit_day(now, None)
    return profile.limit_day_at(now)
