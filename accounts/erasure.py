"""Erasing a user's personal data: account deletion by the user (GDPR article 17) and the
admin's "Erase personal data (GDPR)" action. Both call ``user_erase``.

The user row is never deleted: the append-only energy ledger, green actions, drops, balances,
trees, contributions and planting orders point at it (PROTECT, and on PostgreSQL a trigger
refuses to touch ledger rows), and a real tree planted for the user must stay traceable. The
row stays as an anonymous, inactive member with nothing personal left on it.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import asdict, dataclass

from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken

from accounts.feeds import feed_revoke
from accounts.models import ImportBatch, LinkedFeed, Notification, PlaidItem, Profile, User
from core.locks import lock_user

logger = logging.getLogger(__name__)

# RFC 2606 reserves .invalid: mail to it can never be delivered.
ERASED_EMAIL_DOMAIN = "erased.invalid"


class WrongPassword(ValueError):
    """The password given to confirm the deletion is not the account's."""


@dataclass(slots=True)
class Erasure:
    """What ``user_erase`` did; counts only, nothing personal (it is logged)."""

    user_id: int
    feeds_revoked: int = 0
    transactions_erased: int = 0
    plaid_items_removal_requested: int = 0
    imports_scrubbed: int = 0
    notifications_deleted: int = 0
    refresh_tokens_blacklisted: int = 0
    invitations_revoked: int = 0
    invitations_scrubbed: int = 0
    team_memberships_ended: int = 0
    sponsor_memberships_deleted: int = 0
    friendships_ended: int = 0


def erased_email() -> str:
    return f"deleted-{secrets.token_hex(12)}@{ERASED_EMAIL_DOMAIN}"


def user_is_erased(user: User) -> bool:
    return user.email.endswith(f"@{ERASED_EMAIL_DOMAIN}") and not user.is_active


def account_delete(*, user: User, password: str) -> Erasure:
    """The user deletes their own account, confirming with their current password."""
    if not password or not user.has_usable_password() or not user.check_password(password):
        raise WrongPassword("The current password is not correct.")
    return user_erase(user=user, reason="user request")


@transaction.atomic
def user_erase(*, user: User, reason: str) -> Erasure:
    """Erase or anonymise everything personal about the user, in one transaction.

    * every linked feed is revoked through ``feed_revoke`` (erases the bank's data on each
      transaction and, for Plaid feeds, removes the item at Plaid after commit); the feeds'
      account numbers and names, and the import batches' file names and error lines, go too;
    * e-mail becomes an undeliverable placeholder, names and city are cleared, the password
      becomes unusable, the account inactive (so access tokens stop working at once) and
      every outstanding refresh token is blacklisted;
    * notifications are deleted; pending team invitations to or from the user are revoked and
      the user's e-mail address is removed from every invitation; the user leaves their teams;
    * kept, now anonymous: ledger entries, balances, drops, green actions, trees (a growing
      tree stays frozen where it is), tree contributions, planting orders and certificates,
      which name the holder as "a Canopy member".

    Safe to run twice (the admin action may be applied to an erased user again).
    """
    user = lock_user(user.pk)
    now = timezone.now()
    old_email = user.email.lower()
    result = Erasure(user_id=user.pk)

    for feed in LinkedFeed.objects.filter(user=user).order_by("id"):
        revocation = feed_revoke(feed=feed)
        result.feeds_revoked += 1
        result.transactions_erased += revocation.transactions_erased
    result.plaid_items_removal_requested = PlaidItem.objects.filter(
        feed__user=user, removal_requested_at__isnull=False, removed_at__isnull=True
    ).count()
    # The account numbers and names the user gave, and what the provider said about them.
    for feed_id in LinkedFeed.objects.filter(user=user).values_list("id", flat=True):
        LinkedFeed.objects.filter(pk=feed_id).update(
            account_ref=f"erased-{feed_id}",
            display_name="",
            cursor="",
            last_error="",
            updated_at=now,
        )
    # File names ("jan-de-vries-ing-2026.csv") and parser errors quoting lines of bank files.
    result.imports_scrubbed = ImportBatch.objects.filter(feed__user=user).update(
        file_name="", errors=[], updated_at=now
    )

    result.notifications_deleted, _ = Notification.objects.filter(user=user).delete()
    from accounts.models import OutboundMessage

    OutboundMessage.objects.filter(user=user).delete()  # held e-mails and pushes: personal data
    result.refresh_tokens_blacklisted = _blacklist_refresh_tokens(user)
    _teams_leave(user, old_email, now, result)
    from catalogue.models import SponsorMembership

    result.sponsor_memberships_deleted, _ = SponsorMembership.objects.filter(user=user).delete()
    # Friendships and open friend invites go: who someone's friends were is personal data, and
    # a deleted account must not keep appearing in friends' lists. Steals and waterings stay as
    # the ledger's transfer records, by user id only.
    from accounts.models import FriendInvite, Friendship

    result.friendships_ended, _ = Friendship.objects.filter(
        Q(user_low=user) | Q(user_high=user)
    ).delete()
    FriendInvite.objects.filter(inviter=user, used_at__isnull=True).delete()

    user.email = erased_email()
    user.first_name = ""
    user.last_name = ""
    user.last_login = None
    user.is_active = False
    user.is_staff = False
    user.is_superuser = False
    user.set_unusable_password()
    user.save(
        update_fields=[
            "email",
            "first_name",
            "last_name",
            "last_login",
            "is_active",
            "is_staff",
            "is_superuser",
            "password",
        ]
    )
    user.groups.clear()
    user.user_permissions.clear()
    # The admin's history names the user by their e-mail address (str(user)).
    LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(User), object_id=str(user.pk)
    ).update(object_repr=user.email)
    # Friends can no longer take a share of the drops still open (they expire as usual).
    Profile.objects.filter(user=user).update(
        display_name="", city="", steal_opt_out=True, updated_at=now
    )

    logger.info("personal data erased (%s): %s", reason, asdict(result))
    return result


def _blacklist_refresh_tokens(user: User) -> int:
    live = OutstandingToken.objects.filter(user=user).exclude(
        Exists(BlacklistedToken.objects.filter(token_id=OuterRef("pk")))
    )
    ids = list(live.values_list("id", flat=True))
    BlacklistedToken.objects.bulk_create(
        [BlacklistedToken(token_id=pk) for pk in ids], ignore_conflicts=True
    )
    return len(ids)


def _teams_leave(user: User, email: str, now, result: Erasure) -> None:
    from forest.models import TeamInvitation, TeamMembership
    from forest.services.team_invitations import _end_memberships

    Status = TeamInvitation.Status
    pending = TeamInvitation.objects.filter(status=Status.PENDING)
    to_user = pending.filter(Q(invited_user=user) | Q(email=email))
    result.invitations_revoked += to_user.update(
        status=Status.REVOKED, responded_at=now, updated_at=now
    )
    # Invitations the user sent: the invitees' seats are freed as when the inviter revokes.
    by_user = list(pending.filter(invited_by=user).values_list("id", "team_id", "invited_user_id"))
    if by_user:
        TeamInvitation.objects.filter(pk__in=[pk for pk, _, _ in by_user]).update(
            status=Status.REVOKED, responded_at=now, updated_at=now
        )
        result.invitations_revoked += len(by_user)
        from forest.models import Team

        for team in Team.objects.filter(pk__in={team_id for _, team_id, _ in by_user}):
            _end_memberships(team, {uid for _, tid, uid in by_user if uid and tid == team.pk}, now)
    # The address itself: an invitation keeps its invitee (the anonymous user), not the e-mail.
    result.invitations_scrubbed = TeamInvitation.objects.filter(email=email).update(
        email="", invited_user=user, updated_at=now
    )
    # Grams already grown stay in team trees, under an anonymous name (as team_leave keeps
    # a member who left); the seat is freed for someone else.
    memberships = TeamMembership.objects.filter(user=user)
    result.team_memberships_ended = memberships.filter(status=TeamMembership.Status.ACTIVE).update(
        status=TeamMembership.Status.LEFT, updated_at=now
    ) + memberships.filter(status=TeamMembership.Status.INVITED).update(
        status=TeamMembership.Status.EXPIRED, updated_at=now
    )


def user_has_history(user: User) -> bool:
    """Whether deleting the row would take ledger, trees, teams or bank links with it.

    Such users are never deleted (the admin refuses); they are erased with ``user_erase``.
    """
    from forest.models import EnergyDrop, EnergyLedgerEntry, GreenAction, Team, Tree

    return (
        LinkedFeed.objects.filter(user=user).exists()
        or EnergyLedgerEntry.objects.filter(user=user).exists()
        or EnergyDrop.objects.filter(user=user).exists()
        or GreenAction.objects.filter(user=user).exists()
        or Tree.objects.filter(owner=user).exists()
        or Team.objects.filter(created_by=user).exists()
        or user.tree_contributions.exists()
    )
