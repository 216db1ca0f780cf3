"""Sponsors' single-use claim codes and their batches."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from catalogue.models import Campaign, Sponsor
from core.models import TimeStampedModel


class ClaimCodeBatch(TimeStampedModel):
    """A sponsor's batch of single-use claim codes, paid from one campaign's budget.

    Creating it adds ``grams_per_code * code_count`` to the campaign's ``spent_grams`` under the
    campaign's row lock (``reserved_grams``), so redemptions never need the budget again and
    can never overspend it. The codes are derived from ``code_seed`` (encrypted, see
    accounts.crypto), which is erased when the codes are downloaded, the one time they are
    shown; the database keeps only keyed hashes of them (ClaimCode.code_hash). Once the codes
    have expired, the grams of the unredeemed ones can be given back to the budget, once
    (``released_at``, ``released_grams``).
    """

    sponsor = models.ForeignKey(
        Sponsor, on_delete=models.PROTECT, related_name="claim_batches", verbose_name=_("sponsor")
    )
    campaign = models.ForeignKey(
        Campaign,
        on_delete=models.PROTECT,
        related_name="claim_batches",
        verbose_name=_("campaign"),
    )
    name = models.CharField(max_length=120, verbose_name=_("name"))
    grams_per_code = models.PositiveIntegerField(verbose_name=_("grams per code"))
    code_count = models.PositiveIntegerField(verbose_name=_("number of codes"))
    reserved_grams = models.PositiveBigIntegerField(
        editable=False, verbose_name=_("reserved grams")
    )
    valid_from = models.DateTimeField(verbose_name=_("valid from"))
    valid_until = models.DateTimeField(verbose_name=_("valid until"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    code_seed = models.TextField(blank=True, editable=False, verbose_name=_("code seed"))
    downloaded_at = models.DateTimeField(
        null=True, blank=True, editable=False, verbose_name=_("downloaded at")
    )
    downloaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
        verbose_name=_("downloaded by"),
    )
    released_at = models.DateTimeField(
        null=True, blank=True, editable=False, verbose_name=_("released at")
    )
    released_grams = models.PositiveBigIntegerField(
        default=0,
        editable=False,
        help_text=_("Grams of unredeemed codes given back to the campaign's budget after expiry"),
        verbose_name=_("released grams"),
    )

    class Meta:
        verbose_name = _("claim code batch")
        verbose_name_plural = _("claim code batches")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                name="partners_claimbatch_window",
                condition=models.Q(valid_until__gt=models.F("valid_from")),
            ),
            models.CheckConstraint(
                name="partners_claimbatch_positive",
                condition=models.Q(grams_per_code__gt=0, code_count__gt=0),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.sponsor})"

    @property
    def last_valid_day(self):
        """The last day the codes work (``valid_until`` is the exclusive end)."""
        return timezone.localtime(self.valid_until - timedelta(microseconds=1)).date()


class ClaimCode(models.Model):
    """One single-use code. Only its keyed hash is stored, with a short prefix for support.

    ``redeemed_at`` goes from NULL to a time by one conditional UPDATE, so a code gives energy
    once however many requests race for it.
    """

    batch = models.ForeignKey(
        ClaimCodeBatch,
        on_delete=models.PROTECT,
        related_name="codes",
        db_index=False,  # (batch, redeemed_at) below covers it
        verbose_name=_("batch"),
    )
    code_hash = models.CharField(
        max_length=64, unique=True, editable=False, verbose_name=_("code hash")
    )
    prefix = models.CharField(
        max_length=4,
        editable=False,
        help_text=_("The first four characters after CNPY-, for support"),
        verbose_name=_("prefix"),
    )
    redeemed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,  # the partial (redeemed_by, redeemed_at) index below covers it
        verbose_name=_("redeemed by"),
    )
    redeemed_at = models.DateTimeField(null=True, blank=True, verbose_name=_("redeemed at"))
    drop = models.ForeignKey(
        "forest.EnergyDrop",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
        verbose_name=_("drop"),
    )

    class Meta:
        verbose_name = _("claim code")
        verbose_name_plural = _("claim codes")
        ordering = ["batch", "id"]
        indexes = [
            # Redemptions per batch and per day in the portal.
            models.Index(fields=["batch", "redeemed_at"], name="partners_claimcode_batch"),
            # The per-user daily cap: a user's redemptions today.
            models.Index(
                fields=["redeemed_by", "redeemed_at"],
                name="partners_claimcode_user_day",
                condition=models.Q(redeemed_by__isnull=False),
            ),
        ]
        constraints = [
            models.CheckConstraint(
                name="partners_claimcode_redeemed_together",
                condition=models.Q(redeemed_at__isnull=True, redeemed_by__isnull=True)
                | models.Q(redeemed_at__isnull=False, redeemed_by__isnull=False),
            )
        ]

    def __str__(self) -> str:
        return gettext("CNPY-%(prefix)s-… (batch %(batch)s)") % {
            "prefix": self.prefix,
            "batch": self.batch_id,
        }
