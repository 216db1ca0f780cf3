"""Plaid Link's server side: link tokens, the public token exchange, and removing the item of
a revoked feed. The app opens Plaid Link with a link token from here, the user picks their bank
and account, and the app sends the public token Link gave it back to be exchanged; the access
token Plaid returns is stored encrypted (``PlaidItem``) and never leaves the server.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from functools import partial

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.crypto import salted_hmac

from accounts.integrations.plaid import (
    LinkToken,
    PlaidAccess,
    PlaidError,
    PlaidLinkAdapter,
    plaid_link_adapter,
)
from accounts.integrations.providers import ProviderError
from accounts.models import LinkedFeed, PlaidItem, Provider, User, sandbox_enabled
from accounts.services.crypto import DecryptionFailed, digest
from accounts.services.feeds import (
    FeedExists,
    SandboxDisabled,
    _check_consent,
    _locale_of,
    feed_limit_check,
    feed_link,
)

logger = logging.getLogger(__name__)

# Profile locales and the Plaid Link language each is shown in.
PLAID_LANGUAGES = {"en": "en", "nl": "nl"}
# Plaid's answer to /item/remove for an item that is gone already: nothing left to remove.
ITEM_GONE_CODES = frozenset({"ITEM_NOT_FOUND"})


class PublicTokenUsed(Exception):
    """The public token was exchanged before, for another user."""


@dataclass(slots=True)
class PlaidLinkResult:
    feed: LinkedFeed
    created: bool


def plaid_client_user_id(user: User) -> str:
    """Plaid's ``client_user_id``: stable per user, opaque, not guessable, no personal data."""
    return salted_hmac("canopy.plaid.client_user_id", str(user.pk), algorithm="sha256").hexdigest()[
        :40
    ]


def plaid_link_token_create(*, user: User, adapter: PlaidLinkAdapter | None = None) -> LinkToken:
    """A link token for the user's Plaid Link session (transactions, in their language)."""
    adapter = adapter or plaid_link_adapter()
    return adapter.link_token_create(
        client_user_id=plaid_client_user_id(user),
        language=PLAID_LANGUAGES.get(_locale_of(user), "en"),
        country_codes=list(settings.CANOPY_PLAID_COUNTRY_CODES),
        client_name=settings.CANOPY_PLAID_CLIENT_NAME,
        redirect_uri=settings.CANOPY_PLAID_REDIRECT_URI,
    )


def _exchanged_before(*, user: User, token_sha256: str) -> LinkedFeed | None:
    item = PlaidItem.objects.filter(public_token_sha256=token_sha256).select_related("feed").first()
    if item is None:
        return None
    if item.feed.user_id != user.pk:
        raise PublicTokenUsed()
    return item.feed


def plaid_link_exchange(
    *,
    user: User,
    public_token: str,
    account_id: str,
    scopes: list[str],
    purpose_accepted: bool,
    display_name: str = "",
    adapter: PlaidLinkAdapter | None = None,
) -> PlaidLinkResult:
    """Exchange Plaid Link's public token and link the chosen account, with its consent.

    Consent is checked before anything reaches Plaid. The same public token again (an app
    retrying after a lost answer) returns the feed it linked, ``created=False``; another
    user's raises ``PublicTokenUsed``. Raises ``ProviderError``/``PlaidError`` when Plaid
    refuses or cannot be reached (nothing is written) and ``FeedExists`` when the account is
    linked already. The first sync is queued on commit, as for every pulled feed.
    """
    scopes = _check_consent(scopes=scopes, purpose_accepted=purpose_accepted)
    token_sha256 = digest(public_token)
    feed = _exchanged_before(user=user, token_sha256=token_sha256)
    if feed is not None:
        return PlaidLinkResult(feed=feed, created=False)
    feed_limit_check(user=user)  # before Plaid makes an item no feed could keep
    adapter = adapter or plaid_link_adapter()
    # Canopy's offline stand-in serves the sandbox bank: a sandbox feed, refused where the
    # sandbox is switched off (before anything is exchanged).
    sandbox = adapter.name == PlaidItem.Adapter.SANDBOX
    if sandbox and not sandbox_enabled():
        raise SandboxDisabled()
    access = adapter.public_token_exchange(public_token=public_token)
    try:
        with transaction.atomic():
            feed = feed_link(
                user=user,
                provider=Provider.PLAID,
                account_ref=account_id,
                display_name=display_name,
                scopes=scopes,
                purpose_accepted=purpose_accepted,
                sandbox=sandbox,
            )
            item = PlaidItem(feed=feed, adapter=adapter.name, public_token_sha256=token_sha256)
            item.set_secrets(access_token=access.access_token, item_id=access.item_id)
            item.save()
    except (FeedExists, IntegrityError):
        # The same exchange committed by a concurrent request a moment ago: that feed.
        earlier = _exchanged_before(user=user, token_sha256=token_sha256)
        _remove_if_unused(adapter, access)
        if earlier is not None:
            return PlaidLinkResult(feed=earlier, created=False)
        raise
    logger.info("plaid item linked to feed %s (%s)", feed.pk, adapter.name)
    return PlaidLinkResult(feed=feed, created=True)


def _remove_if_unused(adapter: PlaidLinkAdapter, access: PlaidAccess) -> None:
    """Remove an item Plaid just made but no feed keeps, so it is not left behind at Plaid."""
    if PlaidItem.objects.filter(item_id_sha256=digest(access.item_id)).exists():
        return
    try:
        adapter.item_remove(access_token=access.access_token)
    except ProviderError as exc:
        logger.warning("removing an unused Plaid item failed: %s", exc)


# --------------------------------------------------------------------------------------------
# Removal after revocation
# --------------------------------------------------------------------------------------------


def plaid_item_removal_request(*, feed: LinkedFeed, now: datetime) -> list[int]:
    """Mark the feed's Plaid item for removal and queue the call to Plaid after commit.

    Called inside the revocation's transaction. The revocation never waits for Plaid: the
    task records a failure on the item, and the nightly pull tries again.
    """
    item_ids = list(
        PlaidItem.objects.filter(feed=feed, removed_at__isnull=True).values_list("pk", flat=True)
    )
    if item_ids:
        PlaidItem.objects.filter(pk__in=item_ids, removal_requested_at__isnull=True).update(
            removal_requested_at=now, updated_at=now
        )
        # cycle: accounts.tasks imports the services
        from accounts.tasks import plaid_item_remove_task

        for item_id in item_ids:
            transaction.on_commit(partial(plaid_item_remove_task.delay, item_id))
    return item_ids


def plaid_item_remove(*, item: PlaidItem, adapter: PlaidLinkAdapter | None = None) -> bool:
    """Ask Plaid to remove a revoked feed's item; once it has, erase the stored tokens.

    Until Plaid confirms (or says the item is gone already) the encrypted token is kept, since
    without it the item could never be removed; the feed is revoked, so nothing reads it. A
    failure is recorded on the item (``removal_error``, ``removal_attempts``) and logged.
    Returns whether the item is removed now.
    """
    if item.removed_at is not None or item.removal_requested_at is None:
        return item.removed_at is not None
    now = timezone.now()
    try:
        token = item.access_token()
        if token:
            (adapter or plaid_link_adapter(item.adapter)).item_remove(access_token=token)
    except PlaidError as exc:
        if exc.error_code not in ITEM_GONE_CODES:
            return _removal_failed(item, exc, now=now)
    except (ProviderError, DecryptionFailed) as exc:
        return _removal_failed(item, exc, now=now)
    PlaidItem.objects.filter(pk=item.pk, removed_at__isnull=True).update(
        access_token_ciphertext="",
        item_id_ciphertext="",
        item_id_sha256="",
        removed_at=now,
        removal_error="",
        removal_attempts=F("removal_attempts") + 1,
        updated_at=now,
    )
    logger.info("plaid item of feed %s removed, tokens erased", item.feed_id)
    return True


def _removal_failed(item: PlaidItem, exc: Exception, *, now: datetime) -> bool:
    PlaidItem.objects.filter(pk=item.pk).update(
        removal_error=f"{now:%Y-%m-%d %H:%M} {exc}"[:2000],
        removal_attempts=F("removal_attempts") + 1,
        updated_at=now,
    )
    logger.warning("plaid item removal for feed %s failed, retried nightly: %s", item.feed_id, exc)
    return False


def plaid_items_due_for_removal() -> list[int]:
    """Items of revoked feeds that Plaid has not confirmed removing yet (nightly retry)."""
    return list(
        PlaidItem.objects.filter(removal_requested_at__isnull=False, removed_at__isnull=True)
        .order_by("id")
        .values_list("id", flat=True)
    )
