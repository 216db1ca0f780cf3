"""The one check that a user's energy is on hold (an operator's fraud review, forest.EnergyHold).

A hold stops every movement of the user's energy: collecting a drop or all of them, growing a
tree (their own or a team's), starting or moving a tree, watering a friend's tree, stealing, and
redeeming a claim code. Each of those services calls ``energy_hold_refuse`` before it changes
anything, and every API answers a hold with the same body: 403,
``{"detail": <one message>, "code": "energy_on_hold"}`` (``hold_body``). Nightly scoring still
writes drops for a held user (they expire as usual if the hold outlasts them): the hold pauses
the user, not the bank feed.
"""

from __future__ import annotations

from django.utils.translation import gettext

from forest.models import EnergyHold


class EnergyOnHold(Exception):
    """An operator put a hold on this user's energy during a fraud review."""

    code = "energy_on_hold"
    status = 403


def hold_message() -> str:
    """The one message every movement answers a hold with, in the request's language."""
    return gettext(
        "Moving energy is paused for your account while we review unusual activity. "
        "Please contact support."
    )


def hold_body() -> dict[str, str]:
    """The 403 body every API gives a user on hold."""
    return {"detail": hold_message(), "code": EnergyOnHold.code}


def energy_hold_active(user_id: int) -> bool:
    """Whether the user has a hold that has not been released (one indexed query)."""
    return EnergyHold.objects.filter(user_id=user_id, released_at__isnull=True).exists()


def energy_hold_refuse(user_id: int, *, action: str = "") -> None:
    """Raise ``EnergyOnHold`` if the user's energy is on hold: THE check of every movement.

    ``action`` is only for the caller's readability; the message is the same for all.
    """
    if energy_hold_active(user_id):
        raise EnergyOnHold(hold_message())
