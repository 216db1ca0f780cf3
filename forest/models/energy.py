"""Energy: drops waiting to be collected, the append-only ledger, and the cached balances."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.formats import date_format, number_format
from django.utils.timezone import localtime
from django.utils.translation import gettext
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
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="drops",
        verbose_name=_("user"),
    )
    action_type = models.CharField(
        max_length=32, choices=ActionType.choices, verbose_name=_("action type")
    )
    grams = models.IntegerField(verbose_name=_("grams"))
    remaining = models.IntegerField(verbose_name=_("remaining"))
    status = models.CharField(
        max_length=16, choices=Status.choices, default=Status.OPEN, verbose_name=_("status")
    )
    ripe_at = models.DateTimeField(verbose_name=_("ripe at"))
    expires_at = models.DateTimeField(verbose_name=_("expires at"))
    collected_at = models.DateTimeField(null=True, blank=True, verbose_name=_("collected at"))
    # The (chunk, user, action_type) unique constraint indexes chunk lookups already. Empty for
    # drops that did not come from scoring (a sponsor's claim code).
    chunk = models.ForeignKey(
        "forest.ScoringChunk",
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
        null=True,
        blank=True,
        verbose_name=_("chunk"),
    )
    created_at = models.DateTimeField(verbose_name=_("created at"))

    class Meta:
        verbose_name = _("energy drop")
        verbose_name_plural = _("energy drops")
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
        return gettext("Drop %(id)s: %(left)s of %(grams)s g, %(action)s") % {
            "id": self.pk,
            "left": number_format(self.remaining, force_grouping=True),
            "grams": number_format(self.grams, force_grouping=True),
            "action": self.get_action_type_display(),
        }

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
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
        verbose_name=_("user"),
    )
    account = models.CharField(max_length=16, choices=Account.choices, verbose_name=_("account"))
    kind = models.CharField(max_length=16, choices=EntryKind.choices, verbose_name=_("kind"))
    grams = models.IntegerField(verbose_name=_("grams"))
    idempotency_key = models.CharField(
        max_length=160, unique=True, verbose_name=_("idempotency key")
    )
    drop = models.ForeignKey(
        EnergyDrop,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
        verbose_name=_("drop"),
    )
    green_action = models.ForeignKey(
        "forest.GreenAction",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
        verbose_name=_("green action"),
    )
    memo = models.CharField(max_length=200, blank=True, verbose_name=_("memo"))
    created_at = models.DateTimeField(verbose_name=_("created at"))

    class Meta:
        verbose_name = _("energy ledger entry")
        ordering = ["-created_at", "-id"]
        verbose_name_plural = _("energy ledger entries")
        indexes = [
            models.Index(fields=["user", "account", "-id"], name="forest_ledger_user_account")
        ]

    def __str__(self) -> str:
        sign = "+" if self.grams > 0 else ""
        return gettext("%(kind)s %(grams)s g, %(account)s") % {
            "kind": self.get_kind_display(),
            "grams": sign + number_format(self.grams, force_grouping=True),
            "account": self.get_account_display(),
        }

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise RuntimeError("Ledger entries are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise RuntimeError("Ledger entries are append-only.")


class EnergyBalance(models.Model):
    """Cached sum of a user's entries per account, updated in the same transaction as they are
    written (by SQL upsert, never read-modify-write). ``ledger_audit`` checks it nightly."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("user")
    )
    account = models.CharField(max_length=16, choices=Account.choices, verbose_name=_("account"))
    grams = models.BigIntegerField(default=0, verbose_name=_("grams"))

    class Meta:
        verbose_name = _("energy balance")
        verbose_name_plural = _("energy balances")
        ordering = ["user", "account"]
        constraints = [
            models.UniqueConstraint(fields=["user", "account"], name="forest_balance_unique")
        ]

    def __str__(self) -> str:
        return gettext("User %(user)s, %(account)s: %(grams)s g") % {
            "user": self.user_id,
            "account": self.get_account_display(),
            "grams": number_format(self.grams, force_grouping=True),
        }


class LedgerAudit(models.Model):
    """The nightly check that cached balances equal the sum of entries."""

    checked_at = models.DateTimeField(auto_now_add=True, verbose_name=_("checked at"))
    balances_checked = models.PositiveIntegerField(default=0, verbose_name=_("balances checked"))
    drift_count = models.PositiveIntegerField(default=0, verbose_name=_("drift count"))
    drifts = models.JSONField(default=list, blank=True, verbose_name=_("drifts"))

    class Meta:
        verbose_name = _("ledger audit")
        verbose_name_plural = _("ledger audits")
        ordering = ["-checked_at"]

    def __str__(self) -> str:
        return gettext("Audit of %(when)s: %(n)s drifts") % {
            "when": date_format(localtime(self.checked_at), "SHORT_DATETIME_FORMAT"),
            "n": self.drift_count,
        }
