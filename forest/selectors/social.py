"""Reads of friends' energy: a friend's forest, your social activity, the friends leaderboard."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.contrib.auth import get_user_model
from django.db.models import Count, Min, Q, Sum
from django.utils import timezone, translation

from accounts.selectors.friends import friends_since
from accounts.selectors.users import public_holder_name
from forest.models import EnergyDrop, EnergyLedgerEntry, EnergyTransfer, Tree
from forest.models.energy import Account, EntryKind
from forest.selectors.trees import tree_current
from forest.services.holds import energy_hold_active
from forest.services.social import STEAL_GRACE, _require_friend, stealable_grams


def friend_forest(*, viewer_id: int, friend_id: int, now: datetime | None = None) -> dict:
    """What a friend may see of a friend's forest: name, tree progress, ripe drops (grams
    only: not what they were earned for) and what the viewer could still take of each."""
    now = now or timezone.now()
    _require_friend(viewer_id, friend_id)
    friend = get_user_model().objects.select_related("profile").get(pk=friend_id)
    protected = bool(getattr(getattr(friend, "profile", None), "steal_opt_out", False))
    protected = protected or energy_hold_active(friend_id)
    drops = list(
        EnergyDrop.objects.filter(
            user_id=friend_id,
            status=EnergyDrop.Status.OPEN,
            ripe_at__lte=now,
            expires_at__gt=now,
            remaining__gt=0,
        ).order_by("ripe_at", "id")[:100]
    )
    taken = set(
        EnergyTransfer.objects.filter(
            kind=EnergyTransfer.Kind.STEAL, to_user_id=viewer_id, drop_id__in=[d.id for d in drops]
        ).values_list("drop_id", flat=True)
    )
    rows = []
    for drop in drops:
        stealable_from = drop.ripe_at + STEAL_GRACE
        you_can = 0
        if not protected and drop.id not in taken and now >= stealable_from:
            you_can = stealable_grams(drop)
        rows.append(
            {
                "id": drop.id,
                "grams": drop.grams,
                "remaining_grams": drop.remaining,
                "stealable_grams": you_can,
                "stealable_from": stealable_from,
                "taken_by_you": drop.id in taken,
                "expires_at": drop.expires_at,
            }
        )
    tree = tree_current(friend_id)
    return {
        "user_id": friend_id,
        "display_name": public_holder_name(friend),
        "steal_protected": protected,
        "tree": (
            {
                "species": tree.species.name((translation.get_language() or "en")[:2]),
                "stage": tree.species.stage_for(tree.energy_grams),
                "progress_percent": tree.species.progress_percent(tree.energy_grams),
                "status": tree.status,
            }
            if tree
            else None
        ),
        "drops": rows,
    }


def social_activity(*, user_id: int, limit: int = 100) -> list[dict]:
    """Who took from your drops and watered your tree, and what you took and watered: the
    newest ``limit`` transfers, in one query, by display name (a deleted account shows as
    "A Canopy member"), also for people who are no longer friends."""
    transfers = (
        EnergyTransfer.objects.filter(Q(from_user_id=user_id) | Q(to_user_id=user_id))
        .select_related("from_user__profile", "to_user__profile")
        .order_by("-created_at", "-id")[:limit]
    )
    rows = []
    for t in transfers:
        outgoing = t.from_user_id == user_id  # your drop was stolen from, or you watered
        other = t.to_user if outgoing else t.from_user
        if t.kind == EnergyTransfer.Kind.STEAL:
            direction = "stolen_from_you" if outgoing else "you_stole"
        else:
            direction = "you_watered" if outgoing else "watered_you"
        rows.append(
            {
                "kind": t.kind,
                "direction": direction,
                "friend_id": other.id,
                "friend_name": public_holder_name(other),
                "grams": t.grams,
                "drop_id": t.drop_id,
                "created_at": t.created_at,
            }
        )
    return rows


@dataclass(frozen=True)
class Leaderboard:
    rows: list[dict]
    # The first moment the clock alone changes the rows (the oldest earning in the window
    # leaves it), or None.
    changes_at: datetime | None


def friends_leaderboard(
    *,
    user_id: int,
    now: datetime | None = None,
    days: int = 7,
    watch: Callable[[list[int]], object] | None = None,
) -> Leaderboard:
    """The user and their friends, ranked by grams earned (scored) in the last ``days`` days,
    then trees planted. Four queries whatever the number of friends.

    ``watch`` is called with the ids of the users shown once they are known and before their
    figures are read (the read model stamps its document with their tokens:
    core/readcache.py)."""
    now = now or timezone.now()
    ids = [user_id, *sorted(friends_since(user_id))]
    if watch is not None:
        watch(ids)
    users = (
        get_user_model()
        .objects.filter(pk__in=ids)
        .filter(Q(pk=user_id) | Q(is_active=True))  # live friends only (friends_since)
        .select_related("profile")
    )
    window = timedelta(days=days)
    earned: dict[int, int] = {}
    oldest: list[datetime] = []  # each user's oldest earning in the window
    for user, total, first in (
        EnergyLedgerEntry.objects.filter(
            user_id__in=ids,
            account=Account.DROPS,
            kind=EntryKind.EARN,
            created_at__gte=now - window,
        )
        .values("user_id")
        .annotate(total=Sum("grams"), first=Min("created_at"))
        .values_list("user_id", "total", "first")
    ):
        earned[user] = int(total or 0)
        oldest.append(first)
    planted = dict(
        Tree.objects.filter(owner_id__in=ids, status=Tree.Status.PLANTED)
        .values("owner_id")
        .annotate(n=Count("id"))
        .values_list("owner_id", "n")
    )
    rows = [
        {
            "user_id": u.id,
            "display_name": public_holder_name(u),
            "you": u.id == user_id,
            "earned_grams": earned.get(u.id, 0),
            "trees_planted": planted.get(u.id, 0),
        }
        for u in users
    ]
    rows.sort(key=lambda r: (-r["earned_grams"], -r["trees_planted"], r["user_id"]))
    rank, previous = 0, None
    for position, row in enumerate(rows, start=1):
        score = (row["earned_grams"], row["trees_planted"])
        if score != previous:
            rank, previous = position, score
        row["rank"] = rank
    return Leaderboard(rows=rows, changes_at=min(oldest) + window if oldest else None)
