"""Friends: personal invite codes, accepting them, the friend list and unfriending.

There is no search by e-mail or name: a user can only become someone's friend by redeeming a
code that person handed them, so nobody can find out who has an account. A code is random
(50 bits, shown once), stored as a SHA-256 only, valid for ``FriendInvite.TTL_DAYS`` and
redeemed at most once (a conditional UPDATE claims it). Accepting is throttled in the API.

"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import FriendInvite, Friendship
from core import readcache

# Crockford-like: no 0/O, 1/I/L, so a code read aloud or typed from a screenshot survives.
_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
_CODE_LENGTH = 10


class FriendError(Exception):
    """A friend request that cannot be honoured; ``status`` is the HTTP answer."""

    def __init__(self, message: str, *, code: str, status: int = 409):
        super().__init__(message)
        self.code = code
        self.status = status


@dataclass(frozen=True)
class IssuedInvite:
    code: str
    expires_at: datetime


def normalise_code(code: str) -> str:
    return "".join(ch for ch in code.upper() if ch.isalnum())


def hash_code(code: str) -> str:
    return hashlib.sha256(normalise_code(code).encode()).hexdigest()


def friend_invite_create(*, inviter_id: int, now: datetime | None = None) -> IssuedInvite:
    """A new personal code, e.g. ``7KQ4M-XW9PA``. Only its hash is kept."""
    now = now or timezone.now()
    raw = "".join(secrets.choice(_ALPHABET) for _ in range(_CODE_LENGTH))
    expires_at = now + timedelta(days=FriendInvite.TTL_DAYS)
    FriendInvite.objects.create(
        inviter_id=inviter_id, code_hash=hash_code(raw), expires_at=expires_at
    )
    return IssuedInvite(code=f"{raw[:5]}-{raw[5:]}", expires_at=expires_at)


@transaction.atomic
def friend_invite_accept(*, user_id: int, code: str, now: datetime | None = None) -> Friendship:
    """Redeem a code: the user and the inviter become friends at once (the inviter asked by
    handing out the code; the user accepts by redeeming it).

    Unknown, used and expired codes all answer the same 404, so codes cannot be probed. A code
    of someone who is a friend already is not used up.
    """
    now = now or timezone.now()
    invite = (
        FriendInvite.objects.filter(
            code_hash=hash_code(code), used_at__isnull=True, expires_at__gt=now
        )
        .only("id", "inviter_id")
        .first()
    )
    if invite is None:
        raise FriendError(
            _("This invite code is unknown, used or expired."), code="invalid_code", status=404
        )
    if invite.inviter_id == user_id:
        raise FriendError(
            _("This is your own invite code; give it to a friend."), code="own_code", status=400
        )
    existing = Friendship.objects.between(user_id, invite.inviter_id).first()
    if existing is not None and existing.status == Friendship.Status.ACCEPTED:
        raise FriendError(_("You are friends already."), code="already_friends")
    # Claim the code: of two people redeeming it at once, one wins.
    claimed = FriendInvite.objects.filter(pk=invite.pk, used_at__isnull=True).update(
        used_at=now, used_by_id=user_id, updated_at=now
    )
    if not claimed:
        raise FriendError(
            _("This invite code is unknown, used or expired."), code="invalid_code", status=404
        )
    low, high = sorted((user_id, invite.inviter_id))
    readcache.users_changed([low, high])  # both friends lists and leaderboards
    updated = Friendship.objects.filter(user_low_id=low, user_high_id=high).update(
        status=Friendship.Status.ACCEPTED, accepted_at=now, updated_at=now
    )
    if not updated:
        try:
            with transaction.atomic():
                Friendship.objects.create(
                    user_low_id=low,
                    user_high_id=high,
                    requested_by_id=invite.inviter_id,
                    status=Friendship.Status.ACCEPTED,
                    accepted_at=now,
                )
        except IntegrityError as exc:  # befriended through another code at the same moment
            raise FriendError(_("You are friends already."), code="already_friends") from exc
    return Friendship.objects.between(user_id, invite.inviter_id).get()


@transaction.atomic
def friend_remove(*, user_id: int, friend_id: int) -> None:
    """Unfriend (either side may). What was stolen or watered stays on the ledger."""
    readcache.users_changed([user_id, friend_id])
    deleted, _rows = Friendship.objects.between(user_id, friend_id).delete()
    if not deleted:
        raise Friendship.DoesNotExist
