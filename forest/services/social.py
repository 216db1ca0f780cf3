"""Friends' energy: stealing a share of a friend's ripe drop, watering a friend's tree, and
the reads behind a friend's forest and the friends leaderboard.

Rules (README "Friends, stealing and watering"; why: the research's social-friction notes):

* A friend may take ``STEAL_SHARE_PERCENT`` of a ripe, open drop (rounded down, at least 1 g),
  once per drop, and the owner always keeps ``OWNER_KEEPS_PERCENT`` of it however many friends
  come by. No one steals during the owner's first ``STEAL_GRACE`` after ripening (no 07:00
  alarms needed), from a user who opted out, from or by a user on an energy hold, or more than
  ``STEALS_PER_DAY`` times a (local) day.
* Watering gives 10, 18, 33 or 66 g of your balance to a friend's growing tree, once per friend
  per (local) day.

Every movement is two ledger entries with keys derived from who, what and when, plus an
``EnergyTransfer`` row. The drop is changed only by a conditional UPDATE (``remaining`` still
covers the take and the owner's share), the giver's balance only by a conditional UPDATE
(still covers the gift): two friends and the owner racing for one drop never overdraw it.

This module holds the rules the others share; stealing is ``forest.services.steals``,
watering ``forest.services.watering`` and the reads ``forest.selectors.social``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from django.contrib.auth import get_user_model

from accounts.selectors.friends import are_friends
from accounts.selectors.users import public_holder_name, user_limit_day

if TYPE_CHECKING:
    from forest.models import EnergyDrop, Tree

STEAL_SHARE_PERCENT = 30  # of the drop's grams, per stealer
OWNER_KEEPS_PERCENT = 40  # of the drop's grams, whatever friends take
STEAL_GRACE = timedelta(hours=2)  # after ripe_at: the owner's alone (07:00 → 09:00)
STEALS_PER_DAY = 10  # per stealer, by the stealer's local day
WATER_GRAMS = (10, 18, 33, 66)  # Ant Forest's watering amounts


class SocialError(Exception):
    """A steal or watering that cannot be honoured; ``status`` is the HTTP answer."""

    def __init__(self, message: str, *, code: str, status: int = 409):
        super().__init__(message)
        self.code = code
        self.status = status


class NotFriends(Exception):
    """Not an accepted friend: answered as 404, like a user who does not exist."""


@dataclass(frozen=True)
class Stolen:
    drop_id: int
    grams: int


@dataclass(frozen=True)
class Watered:
    tree: Tree
    grams: int
    matured: bool


# --------------------------------------------------------------------------------------------
# Rules shared by the forest view and the steal
# --------------------------------------------------------------------------------------------


def steal_share(grams: int) -> int:
    """What one friend may take of a drop of ``grams``: 30 % rounded down, at least 1 g."""
    return max(1, grams * STEAL_SHARE_PERCENT // 100)


def owner_keeps(grams: int) -> int:
    """What no friend can take: 40 % rounded up (so friends together take at most 60 %)."""
    return grams - grams * (100 - OWNER_KEEPS_PERCENT) // 100


def stealable_grams(drop: EnergyDrop) -> int:
    """What one more friend could take of this drop now (ignoring who they are)."""
    return max(0, min(steal_share(drop.grams), drop.remaining - owner_keeps(drop.grams)))


def _local_day(user_id: int, now: datetime) -> date:
    """The user's limit day: their local day, which a time-zone change cannot cut short."""
    return user_limit_day(user_id, now).day


def _require_friend(user_id: int, friend_id: int) -> None:
    if not are_friends(user_id, friend_id):
        raise NotFriends


def _display_name(user_id: int) -> str:
    user = get_user_model().objects.select_related("profile").get(pk=user_id)
    return public_holder_name(user)
