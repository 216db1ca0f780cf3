"""Inbox messages for new badges and completed challenges, each in the user's language."""

from __future__ import annotations

from collections.abc import Callable

from django.utils import translation

from accounts.models import Notification, Profile
from accounts.services.notifications import notify

# Rows per statement: profiles read here, ledger entries inserted by challenges (parameter
# limits of SQLite stay far away).
_BATCH = 500


def _locales(user_ids: list[int]) -> dict[int, str]:
    locales: dict[int, str] = {}
    for start in range(0, len(user_ids), _BATCH):
        part = user_ids[start : start + _BATCH]
        locales.update(Profile.objects.filter(user_id__in=part).values_list("user_id", "locale"))
    return locales


def _notify(user_ids: list[int], message: Callable[[int], tuple[str, str, str]]) -> None:
    """One inbox message per user, in the user's language; ``message`` gives (title, body,
    dedupe key) and is called inside the user's language."""
    locales = _locales(user_ids)
    for user_id in user_ids:
        with translation.override(locales.get(user_id, "nl")):
            title, body, key = message(user_id)
            notify(
                user_id=user_id,
                kind=Notification.Kind.SYSTEM,
                title=title,
                body=body,
                dedupe_key=key,
                topic="energy",  # the user's switch for energy news gates push and e-mail
            )
