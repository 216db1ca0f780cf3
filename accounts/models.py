"""Identity: users, their profiles and their in-app inbox."""

from __future__ import annotations

import zoneinfo
from datetime import time

from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from config.models import TimeStampedModel


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **extra) -> User:
        if not email:
            raise ValueError("An e-mail address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra) -> User:
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra) -> User:
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self._create_user(email, password, **extra)


class User(AbstractUser):
    """Everyone who logs in: consumers (API), sponsor members (portal), operators (admin)."""

    username = None
    email = models.EmailField(_("e-mail address"), unique=True)

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    objects = UserManager()

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.email


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(_("Unknown time zone: %(tz)s"), params={"tz": value})


class Profile(TimeStampedModel):
    class Locale(models.TextChoices):
        EN = "en", "English"
        NL = "nl", "Nederlands"

    user = models.OneToOneField(
        User, on_delete=models.CASCADE, related_name="profile", verbose_name=_("user")
    )
    display_name = models.CharField(max_length=80, blank=True, verbose_name=_("display name"))
    locale = models.CharField(
        max_length=2, choices=Locale.choices, default=Locale.NL, verbose_name=_("locale")
    )
    time_zone = models.CharField(
        max_length=64,
        default="Europe/Amsterdam",
        validators=[validate_time_zone],
        verbose_name=_("time zone"),
    )
    city = models.CharField(
        max_length=80, blank=True, help_text=_("For city campaigns"), verbose_name=_("city")
    )
    # Friends may take a share of ripe drops unless the user opts out (Ant Forest "steal").
    steal_opt_out = models.BooleanField(default=False, verbose_name=_("steal opt out"))
    # Notification preferences (accounts.notifications). The inbox is always on; consent
    # reminders always go by e-mail (legally required); sponsor news needs an opt-in (ePrivacy).
    email_enabled = models.BooleanField(default=True, verbose_name=_("e-mail enabled"))
    push_enabled = models.BooleanField(default=True, verbose_name=_("push enabled"))
    notify_energy = models.BooleanField(default=True, verbose_name=_("energy notifications"))
    notify_trees = models.BooleanField(default=True, verbose_name=_("tree notifications"))
    notify_teams = models.BooleanField(default=True, verbose_name=_("team notifications"))
    notify_sponsors = models.BooleanField(default=False, verbose_name=_("sponsor news"))
    quiet_hours_enabled = models.BooleanField(default=True, verbose_name=_("quiet hours enabled"))
    quiet_hours_start = models.TimeField(default=time(22, 0), verbose_name=_("quiet hours start"))
    quiet_hours_end = models.TimeField(default=time(8, 0), verbose_name=_("quiet hours end"))

    class Meta:
        verbose_name = _("profile")
        verbose_name_plural = _("profiles")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.display_name or self.user.email


class Notification(TimeStampedModel):
    """The in-app inbox: nudges, certificates, welcome messages. E-mail mirrors some of them."""

    class Kind(models.TextChoices):
        WELCOME = "welcome", _("Welcome")
        CONSENT_EXPIRING = "consent_expiring", _("Consent expiring")
        CONSENT_EXPIRED = "consent_expired", _("Consent expired")
        TREE = "tree", _("Tree")
        SYSTEM = "system", _("System")

    user = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="notifications", verbose_name=_("user")
    )
    kind = models.CharField(max_length=32, choices=Kind.choices, verbose_name=_("kind"))
    title = models.CharField(max_length=200, verbose_name=_("title"))
    body = models.TextField(blank=True, verbose_name=_("body"))
    # One notification per reason: retried tasks and reruns never nudge twice.
    dedupe_key = models.CharField(max_length=200, unique=True, verbose_name=_("dedupe key"))
    read_at = models.DateTimeField(null=True, blank=True, verbose_name=_("read at"))

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "-created_at"], name="accounts_notif_user_created")]

    def __str__(self) -> str:
        return f"{self.kind}: {self.title}"


class OutboundMessage(models.Model):
    """An e-mail or push waiting for delivery: held through the user's quiet hours, or a push
    for the app gateway. The release task claims each row with a conditional UPDATE of
    ``sent_at``, so a message goes out once however many workers run it."""

    class Channel(models.TextChoices):
        EMAIL = "email", _("E-mail")
        PUSH = "push", _("Push")

    user = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="outbound_messages", verbose_name=_("user")
    )
    channel = models.CharField(max_length=8, choices=Channel.choices, verbose_name=_("channel"))
    topic = models.CharField(max_length=16, verbose_name=_("topic"))
    payload = models.JSONField(default=dict, verbose_name=_("payload"))
    not_before = models.DateTimeField(verbose_name=_("not before"))
    sent_at = models.DateTimeField(null=True, blank=True, verbose_name=_("sent at"))
    attempts = models.PositiveIntegerField(default=0, verbose_name=_("attempts"))
    last_error = models.TextField(blank=True, verbose_name=_("last error"))
    dedupe_key = models.CharField(max_length=220, unique=True, verbose_name=_("dedupe key"))
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))

    class Meta:
        verbose_name = _("outbound message")
        verbose_name_plural = _("outbound messages")
        ordering = ["not_before", "id"]
        indexes = [
            # Used by outbound_release_task (due, unsent e-mails) and a push gateway.
            models.Index(
                fields=["channel", "not_before"],
                name="accounts_outbound_due",
                condition=models.Q(sent_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.channel} to {self.user_id}: {self.topic}"


# ---------------------------------------------------------------------------------------------
# Linked feeds, consent and transactions
# ---------------------------------------------------------------------------------------------


class Provider(models.TextChoices):
    SANDBOX = "sandbox", _("Sandbox bank (demo)")
    PLAID = "plaid", _("Plaid")
    BERLIN_GROUP = "berlin_group", _("Berlin Group / NextGenPSD2 (GoCardless, Enable Banking)")
    FILE = "file", _("File uploads (OFX, camt.053, CSV)")


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

    objects = LinkedFeedQuerySet.as_manager()

    class Meta:
        verbose_name = _("linked feed")
        verbose_name_plural = _("linked feeds")
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "provider", "account_ref"], name="accounts_feed_unique_account"
            )
        ]

    def __str__(self) -> str:
        return self.display_name or f"{self.provider}:{self.account_ref}"


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
        return f"consent {self.pk} for {self.feed}"

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

    class Meta:
        verbose_name = _("import batch")
        verbose_name_plural = _("import batches")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["feed", "-created_at"], name="accounts_import_feed_created")
        ]

    def __str__(self) -> str:
        return f"import {self.pk} ({self.source}, {self.status})"


class TransactionQuerySet(models.QuerySet["Transaction"]):
    def for_user(self, user) -> TransactionQuerySet:
        return self.filter(user=user)

    def visible(self) -> TransactionQuerySet:
        return self.filter(removed_at__isnull=True)


class Transaction(models.Model):
    """A bank transaction in one normalised shape, whatever its source.

    ``amount`` is negative for money out. Raw payload and description are personal data:
    they are erased when the feed's consent is revoked, while what scoring derived stays.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        BOOKED = "booked", _("Booked")

    # Indexes and constraints are chosen for bulk imports: ``user`` is the feed's user copied
    # for scoring and listing, so it needs no constraint of its own; the composite indexes
    # below start with user and feed, so neither needs a single-column index.
    user = models.ForeignKey(
        User,
        on_delete=models.CASCADE,
        related_name="transactions",
        db_index=False,
        db_constraint=False,
        verbose_name=_("user"),
    )
    # No database constraint either: imports write feed_id from the feed row they hold locked,
    # and a per-row trigger check at commit was a fifth of an import (benchmarks/).
    feed = models.ForeignKey(
        LinkedFeed,
        on_delete=models.CASCADE,
        related_name="transactions",
        db_index=False,
        db_constraint=False,
        verbose_name=_("feed"),
    )
    # Bookkeeping only: no constraint (a 200k-row import would be 200k trigger checks at
    # commit) and no index of its own (imports find their rows through the feed's index).
    import_batch = models.ForeignKey(
        ImportBatch,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_constraint=False,
        db_index=False,
        verbose_name=_("import batch"),
    )
    provider = models.CharField(max_length=32, choices=Provider.choices, verbose_name=_("provider"))
    provider_txn_id = models.CharField(max_length=128, verbose_name=_("provider txn id"))
    fingerprint = models.CharField(max_length=64, blank=True, verbose_name=_("fingerprint"))
    pending_txn_id = models.CharField(max_length=128, blank=True, verbose_name=_("pending txn id"))
    status = models.CharField(max_length=8, choices=Status.choices, verbose_name=_("status"))
    amount = models.DecimalField(max_digits=14, decimal_places=2, verbose_name=_("amount"))
    currency = models.CharField(max_length=3, verbose_name=_("currency"))
    booking_date = models.DateField(null=True, blank=True, verbose_name=_("booking date"))
    transaction_date = models.DateField(null=True, blank=True, verbose_name=_("transaction date"))
    merchant_name = models.CharField(max_length=200, blank=True, verbose_name=_("merchant name"))
    merchant_norm = models.CharField(max_length=200, blank=True, verbose_name=_("merchant norm"))
    merchant_id = models.CharField(max_length=128, blank=True, verbose_name=_("merchant id"))
    mcc = models.CharField(max_length=4, blank=True, verbose_name=_("mcc"))
    provider_category = models.CharField(
        max_length=128, blank=True, verbose_name=_("provider category")
    )
    description = models.TextField(blank=True, verbose_name=_("description"))
    raw = models.JSONField(null=True, blank=True, verbose_name=_("raw"))
    is_reversal = models.BooleanField(default=False, verbose_name=_("is reversal"))
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("updated at"))
    removed_at = models.DateTimeField(null=True, blank=True, verbose_name=_("removed at"))
    redacted_at = models.DateTimeField(null=True, blank=True, verbose_name=_("redacted at"))

    objects = TransactionQuerySet.as_manager()

    class Meta:
        verbose_name = _("transaction")
        verbose_name_plural = _("transactions")
        ordering = ["-booking_date", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["feed", "provider_txn_id"], name="accounts_txn_unique_per_feed"
            ),
            models.CheckConstraint(
                name="accounts_txn_status_valid",
                condition=models.Q(status__in=["pending", "booked"]),
            ),
        ]
        indexes = [
            # Statement imports look for a feed's open pending rows; few rows, tiny index.
            models.Index(
                fields=["feed", "booking_date"],
                name="accounts_txn_open_pending",
                condition=models.Q(status="pending", removed_at__isnull=True),
            ),
            # GET /api/v1/transactions: a user's list, newest first.
            models.Index(fields=["user", "-booking_date", "-id"], name="accounts_txn_user_date"),
        ]

    def __str__(self) -> str:
        return f"{self.booking_date} {self.amount} {self.currency} {self.merchant_name}"


class WebhookDelivery(models.Model):
    """Delivery ids already accepted from an aggregator, to refuse replays."""

    provider = models.CharField(max_length=32, choices=Provider.choices, verbose_name=_("provider"))
    delivery_id = models.CharField(max_length=128, verbose_name=_("delivery id"))
    received_at = models.DateTimeField(auto_now_add=True, verbose_name=_("received at"))
    payload_sha256 = models.CharField(max_length=64, verbose_name=_("payload sha256"))

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        ordering = ["-received_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "delivery_id"], name="accounts_webhook_delivery_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.provider}:{self.delivery_id}"


class PlaidItem(TimeStampedModel):
    """The Plaid item behind a feed linked through Plaid Link: its access token, encrypted.

    ``access_token_ciphertext`` and ``item_id_ciphertext`` hold Fernet tokens
    (``accounts.crypto``), never the plaintext; they are decrypted only by the adapter that
    sends them to Plaid. Revoking the feed asks Plaid to remove the item; once Plaid confirms,
    both are erased ("").
    """

    class Adapter(models.TextChoices):
        SANDBOX = "sandbox", _("Canopy's offline sandbox (demo, tests)")
        PLAID = "plaid", _("Plaid API")

    feed = models.OneToOneField(
        LinkedFeed, on_delete=models.CASCADE, related_name="plaid_item", verbose_name=_("feed")
    )
    adapter = models.CharField(max_length=16, choices=Adapter.choices, verbose_name=_("adapter"))
    access_token_ciphertext = models.TextField(
        blank=True, editable=False, verbose_name=_("access token ciphertext")
    )
    item_id_ciphertext = models.TextField(
        blank=True, editable=False, verbose_name=_("item id ciphertext")
    )
    # SHA-256 of the item id: Plaid's webhooks name the item, and it is not stored in clear.
    item_id_sha256 = models.CharField(
        max_length=64, blank=True, db_index=True, editable=False, verbose_name=_("item id sha256")
    )
    # SHA-256 of the public token it was exchanged from: the same exchange twice is one feed.
    public_token_sha256 = models.CharField(
        max_length=64, unique=True, editable=False, verbose_name=_("public token sha256")
    )
    removal_requested_at = models.DateTimeField(
        null=True, blank=True, verbose_name=_("removal requested at")
    )
    removed_at = models.DateTimeField(null=True, blank=True, verbose_name=_("removed at"))
    removal_attempts = models.PositiveIntegerField(default=0, verbose_name=_("removal attempts"))
    removal_error = models.TextField(blank=True, verbose_name=_("removal error"))

    class Meta:
        verbose_name = _("plaid item")
        verbose_name_plural = _("plaid items")
        ordering = ["id"]
        indexes = [
            # Used by the nightly retry of /item/remove after a revocation Plaid missed.
            models.Index(
                fields=["removal_requested_at"],
                name="accounts_plaiditem_removal",
                condition=models.Q(removal_requested_at__isnull=False, removed_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return f"Plaid item of {self.feed}"

    def set_secrets(self, *, access_token: str, item_id: str) -> None:
        from accounts.crypto import digest, encrypt

        self.access_token_ciphertext = encrypt(access_token)
        self.item_id_ciphertext = encrypt(item_id)
        self.item_id_sha256 = digest(item_id) if item_id else ""

    def access_token(self) -> str:
        from accounts.crypto import decrypt

        return decrypt(self.access_token_ciphertext)

    def item_id(self) -> str:
        from accounts.crypto import decrypt

        return decrypt(self.item_id_ciphertext)


# ---------------------------------------------------------------------------------------------
# Friends
# ---------------------------------------------------------------------------------------------


class FriendshipQuerySet(models.QuerySet["Friendship"]):
    def involving(self, user_id: int) -> FriendshipQuerySet:
        return self.filter(models.Q(user_low_id=user_id) | models.Q(user_high_id=user_id))

    def accepted(self) -> FriendshipQuerySet:
        return self.filter(status=Friendship.Status.ACCEPTED)

    def live(self) -> FriendshipQuerySet:
        """Accepted, between two accounts that still exist (a deleted account is deactivated
        and anonymous: it is nobody's friend any more)."""
        return self.accepted().filter(user_low__is_active=True, user_high__is_active=True)

    def between(self, a: int, b: int) -> FriendshipQuerySet:
        low, high = sorted((a, b))
        return self.filter(user_low_id=low, user_high_id=high)


class Friendship(TimeStampedModel):
    """Two users who are friends (or one asked the other). One row per pair, whoever asked:
    the pair is stored in id order (``user_low`` < ``user_high``), so (a, b) and (b, a) are
    the same row and the unique constraint holds in either order."""

    class Status(models.TextChoices):
        REQUESTED = "requested", _("Requested")
        ACCEPTED = "accepted", _("Accepted")

    user_low = models.ForeignKey(
        User,
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,  # the unique (user_low, user_high) constraint indexes it
        verbose_name=_("user (lower id)"),
    )
    user_high = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="+", verbose_name=_("user (higher id)")
    )
    requested_by = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="+", verbose_name=_("requested by")
    )
    status = models.CharField(
        max_length=16, choices=Status.choices, default=Status.REQUESTED, verbose_name=_("status")
    )
    accepted_at = models.DateTimeField(null=True, blank=True, verbose_name=_("accepted at"))

    objects = FriendshipQuerySet.as_manager()

    class Meta:
        verbose_name = _("friendship")
        verbose_name_plural = _("friendships")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["user_low", "user_high"], name="accounts_friend_pair"),
            models.CheckConstraint(
                name="accounts_friend_ordered_pair",
                condition=models.Q(user_low__lt=models.F("user_high")),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user_low_id} & {self.user_high_id}: {self.status}"

    def other(self, user_id: int) -> int:
        return self.user_high_id if self.user_low_id == user_id else self.user_low_id


class FriendInvite(TimeStampedModel):
    """A personal invite code: whoever redeems it (once, before it expires) becomes the
    inviter's friend. Only the code's SHA-256 is stored; the code is shown once, to the
    inviter, who passes it on in person or by message. No one is ever looked up by e-mail."""

    TTL_DAYS = 7

    inviter = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="friend_invites", verbose_name=_("inviter")
    )
    code_hash = models.CharField(
        max_length=64, unique=True, editable=False, verbose_name=_("code hash")
    )
    expires_at = models.DateTimeField(verbose_name=_("expires at"))
    used_at = models.DateTimeField(null=True, blank=True, verbose_name=_("used at"))
    used_by = models.ForeignKey(
        User,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("used by"),
    )

    class Meta:
        verbose_name = _("friend invite")
        verbose_name_plural = _("friend invites")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"friend invite {self.pk} by {self.inviter_id}"
