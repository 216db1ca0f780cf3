"""Writes on linked feeds: linking with consent, re-consent and revocation.

The consent sweep is in ``consent_sweep``, aggregator syncs and webhook deliveries in
``feed_sync``, imports in ``importing``.
"""

from __future__ import annotations

import logging
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext

from accounts.integrations.providers import PULLED_PROVIDERS
from accounts.models import (
    Consent,
    ImportBatch,
    LinkedFeed,
    PlaidItem,
    Profile,
    Provider,
    Transaction,
    Trust,
    User,
    sandbox_enabled,
    trust_for_provider,
)
from accounts.services.feed_sync import _enqueue_sync
from accounts.services.import_jobs import import_jobs_cancel_for_feed
from core import readcache
from core.locks import lock_rows

logger = logging.getLogger(__name__)

SCOPES = frozenset({Consent.Scope.TRANSACTIONS})
NUDGE_DAYS = (14, 7)

CONSENT_PURPOSE = {
    "en": (
        "Canopy reads the transactions of this account to recognise your green choices "
        "(train instead of car, second-hand instead of new, repairs) and turn them into green "
        "energy for your tree. Canopy never moves money and never sells or shares your "
        "transactions. You can revoke this consent at any time; revoking stops the imports at "
        "once and erases the descriptions and merchant names stored for this account."
    ),
    "nl": (
        "Canopy leest de transacties van deze rekening om je groene keuzes te herkennen "
        "(trein in plaats van auto, tweedehands in plaats van nieuw, reparaties) en ze om te "
        "zetten in groene energie voor je boom. Canopy verplaatst nooit geld en verkoopt of "
        "deelt je transacties nooit. Je kunt deze toestemming altijd intrekken; intrekken stopt "
        "de imports meteen en wist de omschrijvingen en winkelnamen van deze rekening."
    ),
}

# A UK account (GB IBAN) needs re-confirmation every 90 days (FCA SCA-RTS article 10A).
_UK_IBAN = re.compile(r"GB\d{2}[A-Z]{4}\d{14}")

# What revocation erases from each of the feed's transactions, and what stays.
ERASED_FIELDS = (
    "raw",
    "description",
    "merchant_name",
    "merchant_id",
    "merchant_norm",
    "descriptor_norm",
    "mcc",
    "provider_category",
    "fingerprint",
    "pending_txn_id",
)
KEPT_FIELDS = (
    "amount",
    "currency",
    "booking_date",
    "transaction_date",
    "status",
    "green action and energy already earned",
)


class ConsentRequired(ValueError):
    """Linking or renewing needs the explicit scopes and the accepted purpose."""


class FeedExists(Exception):
    def __init__(self, feed: LinkedFeed) -> None:
        super().__init__(
            gettext("This account is linked already (feed %(feed)s).") % {"feed": feed.pk}
        )
        self.feed = feed


class SandboxDisabled(ValueError):
    """The sandbox bank invents transactions: refused unless ``CANOPY_SANDBOX_ENABLED``."""

    def __init__(self) -> None:
        super().__init__(
            gettext(
                "The sandbox bank is for demos only and is switched off here: link a real "
                "bank account."
            )
        )


class FeedNeedsRelink(Exception):
    """A Plaid feed whose item was removed at revocation: only Plaid Link can bring it back."""


# --------------------------------------------------------------------------------------------
# Consent
# --------------------------------------------------------------------------------------------


def consent_purpose(locale: str) -> str:
    return CONSENT_PURPOSE.get(locale, CONSENT_PURPOSE["en"])


def consent_lifetime_days(*, provider: str, account_ref: str = "") -> int:
    """Days a consent lasts: ``CANOPY_CONSENT_DAYS`` by provider, ``"uk"`` for UK accounts."""
    days = settings.CANOPY_CONSENT_DAYS
    if "uk" in days and _UK_IBAN.fullmatch(account_ref.replace(" ", "").upper()):
        return int(days["uk"])
    return int(days.get(provider, days.get("default", 180)))


def _locale_of(user: User) -> str:
    profile = Profile.objects.filter(user=user).only("locale").first()
    return profile.locale if profile else Profile.Locale.NL


def _check_consent(*, scopes: list[str], purpose_accepted: bool) -> list[str]:
    if purpose_accepted is not True:
        raise ConsentRequired(gettext("The purpose of the consent must be accepted explicitly."))
    if not scopes or not set(scopes) <= SCOPES:
        raise ConsentRequired(
            gettext("Scopes must be chosen explicitly from: %(scopes)s.")
            % {"scopes": ", ".join(SCOPES)}
        )
    return sorted(set(scopes))


def _consent_create(*, feed: LinkedFeed, scopes: list[str], now: datetime) -> Consent:
    days = consent_lifetime_days(provider=feed.provider, account_ref=feed.account_ref)
    consent = Consent(
        user=feed.user,
        feed=feed,
        scopes=scopes,
        purpose=consent_purpose(_locale_of(feed.user)),
        granted_at=now,
        expires_at=now + timedelta(days=days),
    )
    consent.full_clean()
    consent.save()
    return consent


class FeedLimitReached(ValueError):
    """The user has ``CANOPY_MAX_FEEDS_PER_USER`` feeds that are not revoked (HTTP 409)."""


def feed_limit_check(*, user: User) -> None:
    """Raise ``FeedLimitReached`` when the user may link no further feed."""
    limit = settings.CANOPY_MAX_FEEDS_PER_USER
    linked = LinkedFeed.objects.filter(user=user).exclude(status=LinkedFeed.Status.REVOKED)
    if linked.count() >= limit:
        raise FeedLimitReached(
            gettext("You can link at most %(limit)d accounts; revoke one first.") % {"limit": limit}
        )


@transaction.atomic
def feed_link(
    *,
    user: User,
    provider: str,
    scopes: list[str],
    purpose_accepted: bool,
    account_ref: str = "",
    display_name: str = "",
    unstable_ids: bool = False,
    sandbox: bool = False,
) -> LinkedFeed:
    """Link an account with an explicit consent; pulled feeds start their first sync on commit.

    The feed's trust follows from the provider (``sandbox``: the caller, Plaid Link's offline
    stand-in, serves the sandbox bank); ``SandboxDisabled`` unless the sandbox is enabled.
    """
    scopes = _check_consent(scopes=scopes, purpose_accepted=purpose_accepted)
    if provider not in Provider.values:
        raise ValueError(gettext("Unknown provider %(provider)r.") % {"provider": provider})
    trust = Trust.SANDBOX if sandbox else trust_for_provider(provider)
    if trust == Trust.SANDBOX and not sandbox_enabled():
        raise SandboxDisabled()
    account_ref = account_ref.strip()
    if not account_ref:
        if provider not in (Provider.FILE, Provider.SANDBOX):
            raise ValueError(gettext("account_ref is required for this provider."))
        account_ref = f"{provider}-{secrets.token_hex(8)}"
    existing = LinkedFeed.objects.filter(
        user=user, provider=provider, account_ref=account_ref
    ).first()
    if existing is not None:
        raise FeedExists(existing)
    limit = settings.CANOPY_MAX_FEEDS_PER_USER
    if LinkedFeed.objects.filter(user=user).exclude(status=LinkedFeed.Status.REVOKED).count() >= (
        limit
    ):
        raise FeedLimitReached(
            gettext("You can link at most %(limit)d accounts; revoke one first.") % {"limit": limit}
        )
    feed = LinkedFeed(
        user=user,
        provider=provider,
        account_ref=account_ref,
        display_name=display_name,
        unstable_ids=unstable_ids,
        trust=trust,
        consented_on=timezone.localdate(),
    )
    feed.full_clean()
    try:
        with transaction.atomic():
            feed.save()
    except IntegrityError as exc:  # the same account linked twice at once
        raise FeedExists(
            LinkedFeed.objects.get(user=user, provider=provider, account_ref=account_ref)
        ) from exc
    _consent_create(feed=feed, scopes=scopes, now=timezone.now())
    if provider in PULLED_PROVIDERS:
        _enqueue_sync(feed.pk, source=ImportBatch.Source.PULL)
    return feed


@transaction.atomic
def consent_renew(*, feed: LinkedFeed, scopes: list[str], purpose_accepted: bool) -> Consent:
    """A new consent for the feed (after expiry, revocation or before either); feed active."""
    scopes = _check_consent(scopes=scopes, purpose_accepted=purpose_accepted)
    feed = lock_rows(LinkedFeed.objects).get(pk=feed.pk)
    if (
        feed.provider == Provider.PLAID
        and PlaidItem.objects.filter(feed=feed, removal_requested_at__isnull=False).exists()
    ):
        raise FeedNeedsRelink(gettext("This bank link was removed at Plaid: link the bank again."))
    consent = _consent_create(feed=feed, scopes=scopes, now=timezone.now())
    was_active = feed.status == LinkedFeed.Status.ACTIVE
    feed.status = LinkedFeed.Status.ACTIVE
    feed.last_error = ""
    feed.save(update_fields=["status", "last_error", "updated_at"])
    if not was_active and feed.provider in PULLED_PROVIDERS:
        _enqueue_sync(feed.pk, source=ImportBatch.Source.PULL)
    return consent


@dataclass(slots=True)
class Revocation:
    feed: LinkedFeed
    revoked_at: datetime
    consents_revoked: int
    transactions_erased: int
    erased_fields: tuple[str, ...] = ERASED_FIELDS
    kept_fields: tuple[str, ...] = KEPT_FIELDS
    transactions_kept: int = 0


@transaction.atomic
def feed_revoke(*, feed: LinkedFeed) -> Revocation:
    """Stop the feed's imports now and erase the personal data of its transactions.

    A Plaid feed's item is removed at Plaid too, after commit and without waiting for Plaid
    (``accounts.services.plaid_link.plaid_item_removal_request``).

    One UPDATE erases what the bank sent about each transaction (payload, description,
    merchant) and keeps what scoring derived from it (amount, dates, currency, status and the
    green action that points at the row), so energy already earned stays earned. Waits for a
    running import into the feed to commit first (row lock), then erases its rows too.
    """
    feed = lock_rows(LinkedFeed.objects).get(pk=feed.pk)
    now = timezone.now()
    feed.status = LinkedFeed.Status.REVOKED
    feed.save(update_fields=["status", "updated_at"])
    consents = Consent.objects.filter(feed=feed, revoked_at__isnull=True).update(
        revoked_at=now, updated_at=now
    )
    readcache.user_changed(feed.user_id)  # its transactions' descriptions go
    erased = Transaction.objects.filter(feed=feed, redacted_at__isnull=True).update(
        raw=None,
        description="",
        merchant_name="",
        merchant_id="",
        merchant_norm="",
        descriptor_norm="",
        mcc="",
        provider_category="",
        fingerprint="",
        pending_txn_id="",
        redacted_at=now,
        updated_at=now,
    )
    kept = Transaction.objects.filter(feed=feed).count()
    # Files waiting for a background import: deleted and their jobs failed once the
    # revocation committed (a queued task that runs first finds the feed revoked and does
    # the same).
    feed_pk = feed.pk
    transaction.on_commit(lambda: import_jobs_cancel_for_feed(feed_id=feed_pk))
    if feed.provider == Provider.PLAID:
        # cycle: accounts.services.plaid_link imports this module
        from accounts.services.plaid_link import plaid_item_removal_request

        plaid_item_removal_request(feed=feed, now=now)
    return Revocation(
        feed=feed,
        revoked_at=now,
        consents_revoked=consents,
        transactions_erased=erased,
        transactions_kept=kept,
    )
