"""Reads on friendships: whether two users are friends, a user's friends."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from accounts.models import Friendship, User
from accounts.selectors.users import public_holder_name


def are_friends(user_id: int, other_id: int) -> bool:
    if user_id == other_id:
        return False
    return Friendship.objects.between(user_id, other_id).live().exists()


def friends_since(user_id: int) -> dict[int, datetime | None]:
    """Each accepted friend's id and since when, whether their account is active or not (one
    query, no join). Whoever shows friends keeps the active ones as it reads their accounts,
    after the read model has read their tokens (``friends_list``, the leaderboard), so that a
    friend deactivated meanwhile is not shown under a token read after it happened."""
    rows = (
        Friendship.objects.involving(user_id)
        .accepted()
        .values_list("user_low_id", "user_high_id", "accepted_at")
    )
    return {high if low == user_id else low: accepted_at for low, high, accepted_at in rows}


def friends_list(user_id: int, *, watch: Callable[[list[int]], object] | None = None) -> list[dict]:
    """Live friends with their public names, in two queries whatever their number.

    ``watch`` is called with the friends' ids once they are known and before their accounts
    are read (the read model stamps its document with their tokens: core/readcache.py).
    Nothing here changes with the clock alone."""
    since = friends_since(user_id)
    if watch is not None:
        watch(list(since))
    users = (
        User.objects.filter(pk__in=list(since), is_active=True)
        .select_related("profile")
        .order_by("id")
    )
    friends = [
        {"user_id": u.id, "display_name": public_holder_name(u), "friends_since": since[u.id]}
        for u in users
    ]
    return sorted(friends, key=lambda r: (r["display_name"].lower(), r["user_id"]))
