"""Writes on linked feeds: linking with consent, re-consent, revocation, the consent sweep,
aggregator syncs and webhook deliveries. Imports themselves live in ``accounts.importing``.
"""

from __future__ import annotations

import hashlib
import logging
import math
import re
import secrets
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext

from accounts.crypto import digest
from accounts.importing import feed_import_check, transactions_import
from accounts.models import (
    Consent,
    ImportBatch,
    LinkedFeed,
    Notification,
    PlaidItem,
    Profile,
    Provider,
    Transaction,
    User,
    WebhookDelivery,
)
from accounts.notifications import notification_dispatch
from accounts.providers import PULLED_PROVIDERS, FeedProvider, ProviderError, provider_for
from accounts.sources.base import SourceError
from core.locks import lock_rows

logger = logging.getLogger(__name__)

SCOPES = frozenset({Consent.Scope.TRANSACTIONS})
NUDGE_DAYS = (14, 7)
# Pages one sync may import before it stops and leaves the rest for the next run; Plaid
# pages hold up to 500 items, so this is 50,000 transactions per run.
SYNC_MAX_PAGES = 100

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


class FeedNeedsRelink(Exception):
    """A Plaid feed whose item was removed at revocation: only Plaid Link can bring it back."""


class DeliveryReplayed(Exception):
    """A webhook delivery id that was accepted before."""


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
) -> LinkedFeed:
    """Link an account with an explicit consent; pulled feeds start their first sync on commit."""
    scopes = _check_consent(scopes=scopes, purpose_accepted=purpose_accepted)
    if provider not in Provider.values:
        raise ValueError(gettext("Unknown provider %(provider)r.") % {"provider": provider})
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
    feed = LinkedFeed(
        user=user,
        provider=provider,
        account_ref=account_ref,
        display_name=display_name,
        unstable_ids=unstable_ids,
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
    (``accounts.plaid_link.plaid_item_removal_request``).

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
    erased = Transaction.objects.filter(feed=feed, redacted_at__isnull=True).update(
        raw=None,
        description="",
        merchant_name="",
        merchant_id="",
        merchant_norm="",
        mcc="",
        provider_category="",
        fingerprint="",
        pending_txn_id="",
        redacted_at=now,
        updated_at=now,
    )
    kept = Transaction.objects.filter(feed=feed).count()
    if feed.provider == Provider.PLAID:
        from accounts.plaid_link import plaid_item_removal_request

        plaid_item_removal_request(feed=feed, now=now)
    return Revocation(
        feed=feed,
        revoked_at=now,
        consents_revoked=consents,
        transactions_erased=erased,
        transactions_kept=kept,
    )


# --------------------------------------------------------------------------------------------
# The daily consent sweep
# --------------------------------------------------------------------------------------------


@dataclass(slots=True)
class SweepResult:
    nudged_14: int = 0
    nudged_7: int = 0
    expired: int = 0
    failed: list[int] = field(default_factory=list)


def _current_consents():
    """Each active feed's newest consent that is neither revoked nor expired."""
    newer = Consent.objects.filter(feed=OuterRef("feed"), granted_at__gt=OuterRef("granted_at"))
    return (
        Consent.objects.filter(
            revoked_at__isnull=True,
            expired_at__isnull=True,
            feed__status=LinkedFeed.Status.ACTIVE,
        )
        .exclude(Exists(newer))
        .select_related("feed", "user__profile")
        .order_by("expires_at", "id")
    )


def consent_sweep(*, now: datetime | None = None) -> SweepResult:
    """Nudge at 14 and 7 days before a consent expires, and expire feeds at expiry.

    Safe to run more than once a day: each step claims its consent with a conditional UPDATE
    and the inbox message has a dedupe key, so nobody is nudged twice.
    """
    now = now or timezone.now()
    result = SweepResult()
    current = _current_consents()
    for consent in current.filter(expires_at__lte=now).iterator(chunk_size=500):
        if _step(consent, "expired", now=now):
            result.expired += 1
    in_7 = now + timedelta(days=7)
    in_14 = now + timedelta(days=14)
    seven = current.filter(expires_at__gt=now, expires_at__lte=in_7, nudged_7_at__isnull=True)
    for consent in seven.iterator(chunk_size=500):
        if _step(consent, "nudge_7", now=now):
            result.nudged_7 += 1
    fourteen = current.filter(expires_at__gt=in_7, expires_at__lte=in_14, nudged_14_at__isnull=True)
    for consent in fourteen.iterator(chunk_size=500):
        if _step(consent, "nudge_14", now=now):
            result.nudged_14 += 1
    return result


def _step(consent: Consent, step: str, *, now: datetime) -> bool:
    """Claim one sweep step for one consent, then notify; False when already done or failed."""
    try:
        with transaction.atomic():
            claim = Consent.objects.filter(pk=consent.pk)
            if step == "expired":
                claimed = claim.filter(expired_at__isnull=True).update(
                    expired_at=now, updated_at=now
                )
                if claimed:
                    LinkedFeed.objects.filter(
                        pk=consent.feed_id, status=LinkedFeed.Status.ACTIVE
                    ).update(status=LinkedFeed.Status.EXPIRED, updated_at=now)
            elif step == "nudge_7":
                # A 14-day nudge that never went out is not sent after the 7-day one.
                claimed = claim.filter(nudged_7_at__isnull=True).update(nudged_7_at=now)
                claim.filter(nudged_14_at__isnull=True).update(nudged_14_at=now)
            else:
                claimed = claim.filter(nudged_14_at__isnull=True).update(nudged_14_at=now)
            if not claimed:
                return False
            _consent_message(consent, step, now=now)
    except Exception:
        # One bad address must not stop everyone else's nudges; the claim was rolled back,
        # so tomorrow's sweep tries again.
        logger.exception("consent sweep step %s failed for consent %s", step, consent.pk)
        return False
    return True


_MESSAGES = {
    "en": {
        "nudge": (
            "Your bank link {feed} expires in {days} days",
            "Renew your consent in the Canopy app to keep collecting green energy from this "
            "account. Without it, Canopy stops reading the account on {date}.",
        ),
        "expired": (
            "Your bank link {feed} has expired",
            "Canopy no longer reads this account. Renew your consent in the Canopy app to "
            "continue collecting green energy.",
        ),
    },
    "nl": {
        "nudge": (
            "Je bankkoppeling {feed} verloopt over {days} dagen",
            "Verleng je toestemming in de Canopy-app om groene energie te blijven verzamelen "
            "met deze rekening. Zonder toestemming leest Canopy de rekening vanaf {date} niet "
            "meer.",
        ),
        "expired": (
            "Je bankkoppeling {feed} is verlopen",
            "Canopy leest deze rekening niet meer. Geef opnieuw toestemming in de Canopy-app "
            "om groene energie te blijven verzamelen.",
        ),
    },
}


def _consent_message(consent: Consent, step: str, *, now: datetime) -> None:
    user = consent.user
    profile = getattr(user, "profile", None)
    locale = profile.locale if profile is not None else Profile.Locale.NL
    texts = _MESSAGES.get(locale, _MESSAGES["en"])
    kind = "expired" if step == "expired" else "nudge"
    title, body = texts[kind]
    days = max(1, math.ceil((consent.expires_at - now).total_seconds() / 86400))
    values = {
        "feed": str(consent.feed),
        "days": days,
        "date": timezone.localtime(consent.expires_at).date().isoformat(),
    }
    title, body = title.format(**values), body.format(**values)
    notification_dispatch(
        user_id=user.pk,
        topic="consent",
        kind=(
            Notification.Kind.CONSENT_EXPIRED
            if step == "expired"
            else Notification.Kind.CONSENT_EXPIRING
        ),
        title=title,
        body=body,
        dedupe_key=f"consent:{consent.pk}:{step}",
        email=True,
        now=now,
    )


# --------------------------------------------------------------------------------------------
# Aggregator syncs and webhooks
# --------------------------------------------------------------------------------------------


def _enqueue_sync(feed_id: int, *, source: str, delivery_id: str = "") -> None:
    from accounts.tasks import feed_sync_task

    transaction.on_commit(
        lambda: feed_sync_task.delay(feed_id, source=source, delivery_id=delivery_id)
    )


def _raising(exc: Exception) -> Iterator:
    raise exc
    yield  # pragma: no cover  (makes this a generator)


def feed_sync(
    *,
    feed: LinkedFeed,
    source: str = ImportBatch.Source.PULL,
    delivery_id: str = "",
    provider: FeedProvider | None = None,
    max_pages: int = SYNC_MAX_PAGES,
) -> list[ImportBatch]:
    """Pull the feed's new pages from its aggregator, one import (and cursor) per page.

    Raises ``FeedNotImportable`` for a revoked or expired feed and ``ProviderError`` when the
    aggregator fails (recorded on the feed, worth a retry). A malformed page is recorded as a
    rejected import and ends the sync. Returns the page imports.
    """
    feed_import_check(feed=feed)
    provider = provider or provider_for(feed)
    batches: list[ImportBatch] = []
    cursor = feed.cursor
    for _ in range(max_pages):
        # The delivery and the cursor together name the page, so a retried delivery that
        # re-reads a page it already committed imports nothing twice.
        page_delivery = (
            f"{delivery_id[:100]}@{hashlib.sha256(cursor.encode()).hexdigest()[:16]}"
            if delivery_id
            else ""
        )
        try:
            page = provider.sync(feed=feed, cursor=cursor)
        except SourceError as exc:
            batches.append(
                transactions_import(
                    feed=feed,
                    items=_raising(exc),
                    source=source,
                    format="plaid",
                    delivery_id=page_delivery,
                )
            )
            break
        except ProviderError as exc:
            LinkedFeed.objects.filter(pk=feed.pk).update(
                last_error=f"Sync failed: {exc}"[:2000], updated_at=timezone.now()
            )
            raise
        if not page.items and page.next_cursor == cursor:
            LinkedFeed.objects.filter(pk=feed.pk).update(
                last_synced_at=timezone.now(), last_error=""
            )
            break
        batch = transactions_import(
            feed=feed,
            items=page.items,
            source=source,
            format="plaid",
            delivery_id=page_delivery,
            next_cursor=page.next_cursor,
        )
        batches.append(batch)
        if batch.status != ImportBatch.Status.DONE or not page.has_more:
            break
        cursor = page.next_cursor
    return batches


def feeds_due_for_pull() -> list[int]:
    """Ids of the active feeds an aggregator serves, for the nightly pull."""
    return list(
        LinkedFeed.objects.importable()
        .filter(provider__in=PULLED_PROVIDERS)
        .order_by("id")
        .values_list("id", flat=True)
    )


@transaction.atomic
def webhook_delivery_accept(
    *, provider: str, delivery_id: str, body: bytes, account_refs: list[str]
) -> list[LinkedFeed]:
    """Record a verified delivery once and sync the feeds it names (after commit).

    Raises ``DeliveryReplayed`` for a delivery id seen before and ``LookupError`` when it names
    no active feed; in both cases nothing is written.
    """
    # Plaid's webhooks name the item; feeds linked through Plaid Link keep its digest.
    names = Q(account_ref__in=account_refs) | Q(
        plaid_item__item_id_sha256__in=[digest(ref) for ref in account_refs]
    )
    feeds = list(LinkedFeed.objects.importable().filter(names, provider=provider).order_by("id"))
    if WebhookDelivery.objects.filter(provider=provider, delivery_id=delivery_id).exists():
        raise DeliveryReplayed(delivery_id)
    if not feeds:
        raise LookupError(gettext("No active feed matches this account."))
    try:
        with transaction.atomic():
            WebhookDelivery.objects.create(
                provider=provider,
                delivery_id=delivery_id,
                payload_sha256=hashlib.sha256(body).hexdigest(),
            )
    except IntegrityError as exc:  # the same delivery twice at once
        raise DeliveryReplayed(delivery_id) from exc
    for feed in feeds:
        _enqueue_sync(feed.pk, source=ImportBatch.Source.WEBHOOK, delivery_id=delivery_id)
    return feeds
