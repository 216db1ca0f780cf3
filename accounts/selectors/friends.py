"""Reads on friendships: whether two users are friends, a user's friends."""

from __future__ import annotations

from accounts.models import Friendship, User
from accounts.selectors.users import public_holder_name


def are_friends(user_id: int, other_id: int) -> bool:
    if user_id == other_id:
        return False
    return Friendship.objects.between(user_id, other_id).live().exists()


def friend_ids(user_id: int) -> list[int]:
    """The user's accepted friends' ids (one query)."""
    rows = Friendship.objects.involving(user_id).live().values_list("user_low_id", "user_high_id")
    return sorted(high if low == user_id else low for low, high in rows)


def friends_list(user_id: int) -> list[dict]:
    """Accepted friends with their public names, in two queries whatever their number."""
    rows = (
        Friendship.objects.involving(user_id)
        .live()
        .values_list("user_low_id", "user_high_id", "accepted_at")
    )
    since = {high if low == user_id else low: accepted_at for low, high, accepted_at in rows}
    users = User.objects.filter(pk__in=list(since)).select_related("profile").order_by("id")
    friends = [
        {"user_id": u.id, "display_name": public_holder_name(u), "friends_since": since[u.id]}
        for u in users
    ]
    return sorted(friends, key=lambda r: (r["display_name"].lower(), r["user_id"]))
