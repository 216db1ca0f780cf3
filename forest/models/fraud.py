"""Fraud review: signals the nightly sweep raises, and holds operators place on a user's energy."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _


class FraudSignal(models.Model):
    """A pattern the sweep found for one user, waiting for (or after) an operator's review.

    At most one open signal per user and kind: a later sweep that sees the pattern again
    updates it (``last_seen_at``, score, details) instead of adding a second row.
    """

    class Kind(models.TextChoices):
        BOT_COLLECT = "bot_collect", _("Bot-like collecting")
        REFUND_CYCLING = "refund_cycling", _("Refund cycling")
        CAP_PRESSING = "cap_pressing", _("Cap pressing")
        SHARED_FEED = "shared_feed", _("Shared feed account")
        STEAL_SNIPING = "steal_sniping", _("Bot-like stealing")

    class Severity(models.TextChoices):
        LOW = "low", _("Low")
        MEDIUM = "medium", _("Medium")
        HIGH = "high", _("High")

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        DISMISSED = "dismissed", _("Dismissed")
        CONFIRMED = "confirmed", _("Confirmed")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="fraud_signals",
        db_index=False,  # forest_fraud_user_reviewed (user, kind, reviewed_at) covers it
        verbose_name=_("user"),
    )
    kind = models.CharField(max_length=32, choices=Kind.choices, verbose_name=_("kind"))
    score = models.PositiveSmallIntegerField(
        default=0, help_text=_("0-100: how strongly the pattern shows."), verbose_name=_("score")
    )
    severity = models.CharField(
        max_length=8, choices=Severity.choices, default=Severity.MEDIUM, verbose_name=_("severity")
    )
    details = models.JSONField(default=dict, blank=True, verbose_name=_("details"))
    status = models.CharField(
        max_length=16, choices=Status.choices, default=Status.OPEN, verbose_name=_("status")
    )
    first_seen_at = models.DateTimeField(verbose_name=_("first seen at"))
    last_seen_at = models.DateTimeField(verbose_name=_("last seen at"))
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("reviewed by"),
    )
    reviewed_at = models.DateTimeField(null=True, blank=True, verbose_name=_("reviewed at"))
    review_note = models.TextField(blank=True, verbose_name=_("review note"))

    class Meta:
        verbose_name = _("fraud signal")
        verbose_name_plural = _("fraud signals")
        ordering = ["-last_seen_at", "-id"]
        constraints = [
            # The sweep upserts on this (ON CONFLICT ... WHERE status = 'open').
            models.UniqueConstraint(
                fields=["user", "kind"],
                condition=models.Q(status="open"),
                name="forest_fraud_one_open_per_kind",
            ),
            models.CheckConstraint(
                name="forest_fraud_score_0_100", condition=models.Q(score__lte=100)
            ),
        ]
        indexes = [
            # The review queue: open signals, newest first; and the sweep's "reviewed lately".
            models.Index(fields=["status", "-last_seen_at"], name="forest_fraud_status_seen"),
            models.Index(fields=["user", "kind", "reviewed_at"], name="forest_fraud_user_reviewed"),
        ]

    def __str__(self) -> str:
        return gettext("%(kind)s (%(status)s): user %(user)s") % {
            "kind": self.get_kind_display(),
            "status": self.get_status_display(),
            "user": self.user_id,
        }


class EnergyHold(models.Model):
    """While a hold is active (not released) the user cannot collect energy."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="energy_holds",
        db_index=False,  # the one-active-hold constraint indexes the collect check
        verbose_name=_("user"),
    )
    reason = models.CharField(max_length=200, verbose_name=_("reason"))
    signal = models.ForeignKey(
        FraudSignal,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="holds",
        verbose_name=_("fraud signal"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(verbose_name=_("created at"))
    released_at = models.DateTimeField(null=True, blank=True, verbose_name=_("released at"))
    released_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("released by"),
    )

    class Meta:
        verbose_name = _("energy hold")
        verbose_name_plural = _("energy holds")
        ordering = ["-created_at", "-id"]
        constraints = [
            # Placing a hold twice (two operators, a double click) inserts nothing the second time.
            models.UniqueConstraint(
                fields=["user"],
                condition=models.Q(released_at__isnull=True),
                name="forest_hold_one_active_per_user",
            )
        ]
        indexes = [models.Index(fields=["user", "-created_at"], name="forest_hold_user_history")]

    def __str__(self) -> str:
        state = _("released") if self.released_at else _("active")
        return gettext("Hold %(id)s on user %(user)s (%(state)s)") % {
            "id": self.pk,
            "user": self.user_id,
            "state": state,
        }
