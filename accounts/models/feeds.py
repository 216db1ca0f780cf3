"""Linked bank feeds, the consent behind each, and their import batches."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.models.users import User
from core.models import TimeStampedModel


class Provider(models.TextChoices):
    SANDBOX = "sandbox", _("Sandbox bank (demo)")
    PLAID = "plaid", _("Plaid")
    BERLIN_GROUP = "berlin_group", _("Berlin Group / NextGenPSD2 (GoCardless, Enable Banking)")
    FILE = "file", _("File uploads (OFX, camt.053, CSV)")


class Trust(models.TextChoices):
    """How far a feed's transactions can be believed; only trusted ones earn energy.

    Follows from where the transactions come from (the provider), never from what a client
    sends: see ``trust_for_provider``.
    """

    VERIFIED = "verified", _("Verified (an aggregator or bank pull, or a partner's signed channel)")
    SELF_REPORTED = "self_reported", _("Self-reported (the user's own file upload)")
    SANDBOX = "sandbox", _("Sandbox (demo only)")


# A file the user uploads (OFX, camt.053, CSV, or a Berlin Group JSON they downloaded) could have
# been written by hand; what an aggregator pulls from the bank could not.
PROVIDER_TRUST = {
    Provider.SANDBOX: Trust.SANDBOX,
    Provider.PLAID: Trust.VERIFIED,
    Provider.BERLIN_GROUP: Trust.SELF_REPORTED,
    Provider.FILE: Trust.SELF_REPORTED,
}


def trust_for_provider(provider: str) -> str:
    """The trust of a feed of ``provider``: unknown providers are the least trusted."""
    return PROVIDER_TRUST.get(provider, Trust.SELF_REPORTED)  # type: ignore[call-overload]


def sandbox_enabled() -> bool:
    """Whether the sandbox bank may be linked, pulled and earn (local, tests, the demo)."""
    return bool(getattr(settings, "CANOPY_SANDBOX_ENABLED", False))


class LinkedFeedQuerySet(models.QuerySet["LinkedFeed"]):
    def for_user(self, user) -> LinkedFeedQuerySet:
        return self.filter(user=user)

    def importable(self) -> LinkedFeedQuerySet:
        return self.filter(status=LinkedFeed.Status.ACTIVE)


class LinkedFeed(TimeStampedModel):
    """One bank account (or card) a user linked through one provider."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        EXPIRED = "expired", _("Consent expired")
        REVOKED = "revoked", _("Revoked")
        ERROR = "error", _("Error")

    user = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="feeds", verbose_name=_("user")
    )
    provider = models.CharField(max_length=32, choices=Provider.choices, verbose_name=_("provider"))
    account_ref = models.CharField(
        max_length=128, help_text=_("The provider's account id"), verbose_name=_("account ref")
    )
    display_name = models.CharField(max_length=120, blank=True, verbose_name=_("display name"))
    status = models.CharField(
        max_length=16, choices=Status.choices, default=Status.ACTIVE, verbose_name=_("status")
    )
    # Some banks rotate OFX FITIDs: such feeds are deduplicated on the fingerprint instead.
    unstable_ids = models.BooleanField(default=False, verbose_name=_("unstable ids"))
    cursor = models.CharField(max_length=512, blank=True, verbose_name=_("cursor"))
    last_synced_at = models.DateTimeField(null=True, blank=True, verbose_name=_("last synced at"))
    last_error = models.TextField(blank=True, verbose_name=_("last error"))
    # Set on save from the provider (``trust_for_provider``), never from a client.
    trust = models.CharField(
        max_length=16, choices=Trust.choices, editable=False, verbose_name=_("trust")
    )
    # The day the user first consented to this feed: history booked much earlier never earns
    # (``CANOPY_CONSENT_GRACE_DAYS``). Renewing a consent keeps it.
    consented_on = models.DateField(
        default=timezone.localdate, editable=False, verbose_name=_("consented on")
    )

    objects = LinkedFeedQuerySet.as_manager()

    class Meta:
        verbose_name = _("linked feed")
        verbose_name_plural = _("linked feeds")
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "provider", "account_ref"], name="accounts_feed_unique_account"
            ),
            models.CheckConstraint(
                name="accounts_feed_trust_valid",
                condition=models.Q(trust__in=["verified", "self_reported", "sandbox"]),
            ),
        ]

    def __str__(self) -> str:
        return self.display_name or f"{self.provider}:{self.account_ref}"

    def save(self, *args, **kwargs) -> None:
        if not self.trust:
            self.trust = trust_for_provider(self.provider)
        super().save(*args, **kwargs)


class Consent(TimeStampedModel):
    """Explicit, revocable permission to read one feed, for a stated purpose, until a date."""

    class Scope(models.TextChoices):
        TRANSACTIONS = "transactions", _("Transactions")

    user = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="consents", verbose_name=_("user")
    )
    feed = models.ForeignKey(
        LinkedFeed, on_delete=models.CASCADE, related_name="consents", verbose_name=_("feed")
    )
    scopes = models.JSONField(default=list, verbose_name=_("scopes"))
    purpose = models.TextField(verbose_name=_("purpose"))
    granted_at = models.DateTimeField(verbose_name=_("granted at"))
    expires_at = models.DateTimeField(verbose_name=_("expires at"))
    revoked_at = models.DateTimeField(null=True, blank=True, verbose_name=_("revoked at"))
    # Each nudge is sent once; the timestamps make the daily sweep idempotent.
    nudged_14_at = models.DateTimeField(null=True, blank=True, verbose_name=_("nudged 14 at"))
    nudged_7_at = models.DateTimeField(null=True, blank=True, verbose_name=_("nudged 7 at"))
    expired_at = models.DateTimeField(null=True, blank=True, verbose_name=_("expired at"))

    class Meta:
        verbose_name = _("consent")
        verbose_name_plural = _("consents")
        ordering = ["-granted_at", "-id"]
        indexes = [
            # Used by the daily consent sweep.
            models.Index(fields=["expires_at"], name="accounts_consent_expires"),
        ]

    def __str__(self) -> str:
        return gettext("Consent %(id)s for %(feed)s") % {"id": self.pk, "feed": self.feed}

    def is_live(self, at) -> bool:
        return self.revoked_at is None and self.expires_at > at


class ImportBatch(TimeStampedModel):
    """One import into a feed: a file, a webhook-triggered sync or a scheduled pull."""

    class Source(models.TextChoices):
        UPLOAD = "upload", _("File upload")
        WEBHOOK = "webhook", _("Aggregator webhook")
        PULL = "pull", _("Scheduled pull")
        COMMAND = "command", _("Operator command")

    class Status(models.TextChoices):
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        REJECTED = "rejected", _("Rejected")
        FAILED = "failed", _("Failed")

    feed = models.ForeignKey(
        LinkedFeed, on_delete=models.CASCADE, related_name="imports", verbose_name=_("feed")
    )
    source = models.CharField(max_length=16, choices=Source.choices, verbose_name=_("source"))
    format = models.CharField(max_length=32, blank=True, verbose_name=_("format"))
    status = models.CharField(
        max_length=16, choices=Status.choices, default=Status.RUNNING, verbose_name=_("status")
    )
    file_name = models.CharField(max_length=255, blank=True, verbose_name=_("file name"))
    file_sha256 = models.CharField(max_length=64, blank=True, verbose_name=_("file sha256"))
    delivery_id = models.CharField(max_length=128, blank=True, verbose_name=_("delivery id"))
    count_new = models.PositiveIntegerField(default=0, verbose_name=_("count new"))
    count_updated = models.PositiveIntegerField(default=0, verbose_name=_("count updated"))
    count_duplicate = models.PositiveIntegerField(default=0, verbose_name=_("count duplicate"))
    count_removed = models.PositiveIntegerField(default=0, verbose_name=_("count removed"))
    count_rejected = models.PositiveIntegerField(default=0, verbose_name=_("count rejected"))
    errors = models.JSONField(default=list, blank=True, verbose_name=_("errors"))
    duration_ms = models.PositiveIntegerField(default=0, verbose_name=_("duration ms"))
    finished_at = models.DateTimeField(null=True, blank=True, verbose_name=_("finished at"))

    # Not a column: set by ``transactions_import`` to the earlier import of the same file.
    duplicate_of: ImportBatch | None

    class Meta:
        verbose_name = _("import batch")
        verbose_name_plural = _("import batches")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["feed", "-created_at"], name="accounts_import_feed_created")
        ]

    def __str__(self) -> str:
        return gettext("Import %(id)s (%(source)s, %(status)s)") % {
            "id": self.pk,
            "source": self.get_source_display(),
            "status": self.get_status_display(),
        }
