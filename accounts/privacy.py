"""The accounts app's privacy hook (protocol: ``privacy.hooks``): profile, feeds, consents,
imports, friends, inbox and push devices in the export; their erasure; and the shared row reader.

Transactions are exported by ``forest.privacy``, joined to their green action in one query.
"""

from __future__ import annotations

from collections.abc import Iterator

from axes.models import AccessAttempt  # type: ignore[import-untyped]  # no stubs
from django.db.models import F, Q

from accounts.models import (
    Consent,
    FriendInvite,
    Friendship,
    ImportBatch,
    LinkedFeed,
    Notification,
    OutboundMessage,
    PlaidItem,
    Profile,
    PushDevice,
    User,
)
from accounts.services.feeds import feed_revoke
from accounts.services.users import refresh_tokens_revoke

# Rows fetched per round trip; large enough for few round trips, small enough for flat memory.
CHUNK_SIZE = 2000


def export_rows(queryset, *fields: str, **renamed: str) -> Iterator[dict]:
    """``values()`` rows read in chunks; ``renamed`` maps output names to lookups.

    Every app's hook reads its export sections through this, one query per section.
    """
    names = list(fields) + list(renamed)
    qs = queryset.values(*fields, **{k: F(v) for k, v in renamed.items()})
    for row in qs.iterator(chunk_size=CHUNK_SIZE):
        yield {name: row[name] for name in names}


#: The profile's notification switches (accounts.services.notifications), all exported.
NOTIFICATION_PREFERENCES = (
    "email_enabled",
    "push_enabled",
    "notify_energy",
    "notify_trees",
    "notify_teams",
    "notify_sponsors",
    "quiet_hours_enabled",
    "quiet_hours_start",
    "quiet_hours_end",
)


def _profile(user: User) -> dict:
    profile = Profile.objects.filter(user=user).first()
    return {
        "id": user.pk,
        "email": user.email,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "date_joined": user.date_joined,
        "last_login": user.last_login,
        "display_name": profile.display_name if profile else "",
        "locale": profile.locale if profile else "",
        "time_zone": profile.time_zone if profile else "",
        "city": profile.city if profile else "",
        "steal_opt_out": profile.steal_opt_out if profile else False,
        "notification_preferences": {
            name: getattr(profile, name) if profile else None for name in NOTIFICATION_PREFERENCES
        },
    }


def export_sections(*, user: User, **context) -> Iterator[tuple[str, object]]:
    uid = user.pk
    yield "profile", _profile(user)
    yield (
        "feeds",
        export_rows(
            LinkedFeed.objects.filter(user_id=uid).order_by("id"),
            "id",
            "provider",
            "account_ref",
            "display_name",
            "status",
            "unstable_ids",
            "last_synced_at",
            "last_error",
            "created_at",
            # The state of the bank link at Plaid; never its tokens or item id.
            plaid_adapter="plaid_item__adapter",
            plaid_removal_requested_at="plaid_item__removal_requested_at",
            plaid_removed_at="plaid_item__removed_at",
        ),
    )
    yield (
        "consents",
        export_rows(
            Consent.objects.filter(user_id=uid).order_by("id"),
            "id",
            "feed_id",
            "scopes",
            "purpose",
            "granted_at",
            "expires_at",
            "revoked_at",
            "expired_at",
        ),
    )
    yield (
        "imports",
        export_rows(
            ImportBatch.objects.filter(feed__user_id=uid).order_by("id"),
            "id",
            "feed_id",
            "source",
            "format",
            "status",
            "file_name",
            "count_new",
            "count_updated",
            "count_duplicate",
            "count_removed",
            "count_rejected",
            "errors",
            "created_at",
            "finished_at",
        ),
    )
    # Friends by user id only: their names and addresses are theirs, not this user's data.
    yield (
        "friendships",
        export_rows(
            Friendship.objects.filter(Q(user_low_id=uid) | Q(user_high_id=uid)).order_by("id"),
            "user_low_id",
            "user_high_id",
            "requested_by_id",
            "status",
            "accepted_at",
            "created_at",
        ),
    )
    yield (
        "notifications",
        export_rows(
            Notification.objects.filter(user_id=uid).order_by("id"),
            "id",
            "kind",
            "title",
            "body",
            "created_at",
            "read_at",
        ),
    )
    # The push tokens are the user's: a device identifier, exported as registered.
    yield (
        "push_devices",
        export_rows(
            PushDevice.objects.filter(user_id=uid).order_by("id"),
            "id",
            "token",
            "token_type",
            "platform",
            "app_version",
            "locale",
            "created_at",
            "last_sent_at",
        ),
    )


def erase(*, user: User, email: str, now) -> dict[str, int]:
    """Feeds revoked (bank data erased), feed and import details scrubbed, inbox deleted,
    sessions ended, friendships ended; the user row itself is ``user_anonymise``'s."""
    counts = {"feeds_revoked": 0, "transactions_erased": 0}
    for feed in LinkedFeed.objects.filter(user=user).order_by("id"):
        revocation = feed_revoke(feed=feed)
        counts["feeds_revoked"] += 1
        counts["transactions_erased"] += revocation.transactions_erased
    counts["plaid_items_removal_requested"] = PlaidItem.objects.filter(
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
    counts["imports_scrubbed"] = ImportBatch.objects.filter(feed__user=user).update(
        file_name="", errors=[], updated_at=now
    )
    counts["notifications_deleted"], _ = Notification.objects.filter(user=user).delete()
    OutboundMessage.objects.filter(user=user).delete()  # held e-mails and pushes: personal data
    # Push tokens identify the phone; a closed account must never be pushed to again.
    counts["push_devices_deleted"], _ = PushDevice.objects.filter(user=user).delete()
    counts["refresh_tokens_blacklisted"] = _blacklist_refresh_tokens(user)
    # Failed log-ins the lockout recorded name the address (accounts/lockout.py).
    AccessAttempt.objects.filter(username=email.strip().lower()).delete()
    # Friendships and open friend invites go: who someone's friends were is personal data, and
    # a deleted account must not keep appearing in friends' lists. Steals and waterings stay as
    # the ledger's transfer records, by user id only.
    counts["friendships_ended"], _ = Friendship.objects.filter(
        Q(user_low=user) | Q(user_high=user)
    ).delete()
    FriendInvite.objects.filter(inviter=user, used_at__isnull=True).delete()
    return counts


def _blacklist_refresh_tokens(user: User) -> int:
    return refresh_tokens_revoke(user=user)


def has_history(*, user: User) -> bool:
    """A bank link: deleting the row would cascade into bank data without revoking at Plaid."""
    return LinkedFeed.objects.filter(user=user).exists()
