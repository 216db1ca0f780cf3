"""Bank transactions as imported, and the webhook deliveries that brought them."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.models.feeds import ImportBatch, LinkedFeed, Provider
from accounts.models.users import User

# The columns a bank gives for a transaction, in ``NormalisedTransaction``'s order after its id:
# what sources parse, imports write, the sandbox generates, the API lists and the export shows.
TRANSACTION_BANK_FIELDS = (
    "status",
    "amount",
    "currency",
    "booking_date",
    "transaction_date",
    "merchant_name",
    "merchant_id",
    "mcc",
    "provider_category",
    "description",
)


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
    # The shop's name as the description gives it (accounts.normalise.normalise_descriptor),
    # kept only where the merchant name is empty or names no shop: what scoring falls back to.
    descriptor_norm = models.CharField(
        max_length=200, blank=True, db_default="", verbose_name=_("descriptor norm")
    )
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
