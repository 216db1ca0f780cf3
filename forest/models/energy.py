"""Energy: drops waiting to be collected, the append-only ledger, and the cached balances."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from forest.models.rules import ActionType


class Account(models.TextChoices):
    """Where a user's grams sit. Every gram moves between accounts through ledger entries."""

    DROPS = "drops", _("In drops, not yet collected")
    BALANCE = "balance", _("Collected, spendable")
    TREE = "tree", _("Grown into trees")


class EntryKind(models.TextChoices):
    EARN = "earn", _("Earned")
    COLLECT = "collect", _("Collected")
    STEAL = "steal", _("Stolen")
    WATER = "water", _("Watered")
    GROW = "grow", _("Grown into a tree")
    EXPIRE = "expire", _("Expired")
    REVERSAL = "reversal", _("Reversed")
    ADJUSTMENT = "adjustment", _("Adjusted")


class EnergyDrop(models.Model):
    """A bubble of energy: one per user, action type and scoring chunk.

    Ripe the next morning in the user's time zone, collectable for 72 hours, then expired.
    """

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        COLLECTED = "collected", _("Collected")
        EXPIRED = "expired", _("Expired")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="drops"
    )
    action_type = models.CharField(max_length=32, choices=ActionType.choices)
    grams = models.IntegerField()
    remaining = models.IntegerField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.OPEN)
    ripe_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    collected_at = models.DateTimeField(null=True, blank=True)
    # The (chunk, user, action_type) unique constraint indexes chunk lookups already.
    chunk = models.ForeignKey(
        "forest.ScoringChunk", on_delete=models.PROTECT, related_name="+", db_index=False
    )
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["ripe_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["chunk", "user", "action_type"], name="forest_drop_one_per_chunk_type"
            ),
            models.CheckConstraint(
                name="forest_drop_remaining_ge_0", condition=models.Q(remaining__gte=0)
            ),
        ]
        indexes = [
            # The home screen: a user's open drops.
            models.Index(
                fields=["user", "ripe_at"],
                name="forest_drop_user_open",
                condition=models.Q(status="open"),
            ),
            # The expiry sweep.
            models.Index(
                fields=["expires_at"],
                name="forest_drop_open_expiry",
                condition=models.Q(status="open"),
            ),
        ]

    def __str__(self) -> str:
        return f"drop {self.pk}: {self.remaining}/{self.grams} g {self.action_type}"

    def state_at(self, at=None) -> str:
        """open splits into ripening and ripe for the app."""
        at = at or timezone.now()
        if self.status != self.Status.OPEN:
            return self.status
        if at >= self.expires_at:
            return "expired"
        return "ripe" if at >= self.ripe_at else "ripening"


class EnergyLedgerEntry(models.Model):
    """One movement of grams into or out of one of a user's accounts. Append-only.

    ``idempotency_key`` is unique: a retried task, a double click or a duplicate webhook that
    tries to write the same movement again writes nothing. Balances are sums of these rows.
    """

    # (user, account, -id) indexes the statement; the other keys are for the admin only.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    account = models.CharField(max_length=16, choices=Account.choices)
    kind = models.CharField(max_length=16, choices=EntryKind.choices)
    grams = models.IntegerField()
    idempotency_key = models.CharField(max_length=160, unique=True)
    drop = models.ForeignKey(
        EnergyDrop,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    green_action = models.ForeignKey(
        "forest.GreenAction",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    memo = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "energy ledger entries"
        indexes = [
            models.Index(fields=["user", "account", "-id"], name="forest_ledger_user_account")
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.grams:+d} g {self.account}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise RuntimeError("Ledger entries are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise RuntimeError("Ledger entries are append-only.")


class EnergyBalance(models.Model):
    """Cached sum of a user's entries per account, updated in the same transaction as they are
    written (by SQL upsert, never read-modify-write). ``ledger_audit`` checks it nightly."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    account = models.CharField(max_length=16, choices=Account.choices)
    grams = models.BigIntegerField(default=0)

    class Meta:
        ordering = ["user", "account"]
        constraints = [
            models.UniqueConstraint(fields=["user", "account"], name="forest_balance_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.account}: {self.grams} g"


class LedgerAudit(models.Model):
    """The nightly check that cached balances equal the sum of entries."""

    checked_at = models.DateTimeField(auto_now_add=True)
    balances_checked = models.PositiveIntegerField(default=0)
    drift_count = models.PositiveIntegerField(default=0)
    drifts = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["-checked_at"]

    def __str__(self) -> str:
        return f"audit {self.checked_at:%Y-%m-%d %H:%M}: {self.drift_count} drifts"
