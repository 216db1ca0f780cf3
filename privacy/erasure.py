"""Erasing a user's personal data: account deletion by the user (GDPR article 17) and the
admin's "Erase personal data (GDPR)" action. Both call ``user_erase``.

The user row is never deleted: the append-only energy ledger, green actions, drops, balances,
trees, contributions and planting orders point at it (PROTECT, and on PostgreSQL a trigger
refuses to touch ledger rows), and a real tree planted for the user must stay traceable. The
row stays as an anonymous, inactive member with nothing personal left on it.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone

from accounts.services.users import user_anonymise
from core import readcache
from core.locks import lock_user
from privacy.hooks import hooks

if TYPE_CHECKING:
    from accounts.models import User

logger = logging.getLogger(__name__)


class WrongPassword(ValueError):
    """The password given to confirm the deletion is not the account's."""


class Erasure:
    """What ``user_erase`` did: the user id and each app's counts, nothing personal (it is
    logged). A count reads as an attribute (``result.feeds_revoked``)."""

    __slots__ = ("counts", "user_id")

    def __init__(self, user_id: int) -> None:
        self.user_id = user_id
        self.counts: dict[str, int] = {}

    def __getattr__(self, name: str) -> int:
        try:
            return self.counts[name]
        except KeyError:
            raise AttributeError(name) from None

    def as_dict(self) -> dict[str, int]:
        return {"user_id": self.user_id, **self.counts}


def account_delete(*, user: User, password: str) -> Erasure:
    """The user deletes their own account, confirming with their current password."""
    if not password or not user.has_usable_password() or not user.check_password(password):
        raise WrongPassword("The current password is not correct.")
    return user_erase(user=user, reason="user request")


@transaction.atomic
def user_erase(*, user: User, reason: str) -> Erasure:
    """Erase or anonymise everything personal about the user, in one transaction.

    Each app's ``erase`` hook runs in ``INSTALLED_APPS`` order with the user row locked:

    * accounts: every linked feed is revoked through ``feed_revoke`` (erases the bank's data on
      each transaction and, for Plaid feeds, removes the item at Plaid after commit); the
      feeds' account numbers and names, and the import batches' file names and error lines,
      go too; the inbox and held messages are deleted, every outstanding refresh token is
      blacklisted, friendships and open friend invites end;
    * catalogue: sponsor memberships are deleted;
    * forest: pending team invitations to or from the user are revoked and the user's e-mail
      address is removed from every invitation; the user leaves their teams;

    then ``user_anonymise``: the e-mail becomes an undeliverable placeholder, names and city are
    cleared, the password becomes unusable and the account inactive (so access tokens stop
    working at once). Kept, now anonymous: ledger entries, balances, drops, green actions,
    trees (a growing tree stays frozen where it is), tree contributions, planting orders and
    certificates, which name the holder as "a Canopy member".

    Safe to run twice (the admin action may be applied to an erased user again).
    """
    user = lock_user(user.pk)
    now = timezone.now()
    email = user.email.lower()
    result = Erasure(user.pk)
    for erase in hooks("erase"):
        result.counts.update(erase(user=user, email=email, now=now))
    user_anonymise(user=user, now=now)
    readcache.user_changed(user.pk)
    logger.info("personal data erased (%s): %s", reason, result.as_dict())
    return result


def user_has_history(user: User) -> bool:
    """Whether deleting the row would take ledger, trees, teams or bank links with it.

    Such users are never deleted (the admin refuses); they are erased with ``user_erase``.
    """
    return any(has_history(user=user) for has_history in hooks("has_history"))
