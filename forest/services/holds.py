"""The one check that a user's energy is on hold (an operator's fraud review, forest.EnergyHold).

Every path that moves a user's energy (collecting, stealing, watering, redeeming a claim
code) asks here, and every API answers a hold the same way: 403 with code ``energy_on_hold``.
"""

from __future__ import annotations

from django.utils.translation import gettext

from forest.models import EnergyHold


class EnergyOnHold(Exception):
    """An operator put a hold on this user's energy during a fraud review."""

    code = "energy_on_hold"
    status = 403


def _messages() -> dict[str, str]:
    # One text per thing that is paused, so the user reads what they just tried to do.
    return {
        "collect": gettext(
            "Collecting energy is paused for your account while we review unusual "
            "activity. Please contact support."
        ),
        "move": gettext(
            "Moving energy is paused for your account while we review unusual activity. "
            "Please contact support."
        ),
        "claim": gettext(
            "Claiming energy is paused for your account while we review unusual "
            "activity. Please contact support."
        ),
    }


def energy_hold_active(user_id: int) -> bool:
    """Whether the user has a hold that has not been released (one indexed query)."""
    return EnergyHold.objects.filter(user_id=user_id, released_at__isnull=True).exists()


def energy_hold_refuse(user_id: int, *, action: str = "collect") -> None:
    """Raise ``EnergyOnHold`` if the user's energy is on hold.

    ``action`` ("collect", "move" or "claim") picks the message.
    """
    if energy_hold_active(user_id):
        raise EnergyOnHold(_messages()[action])
