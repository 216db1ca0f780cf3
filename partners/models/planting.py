"""Planting partners, their API keys, planting orders and the evidence that trees grow."""

from __future__ import annotations

import uuid

from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from catalogue.models import PlantingPartner
from core.models import TimeStampedModel


class PartnerApiKey(TimeStampedModel):
    """A planting partner's key to /api/v1/partner/. Only a SHA-256 of the secret is stored.

    The full key (``cnp_<prefix>_<secret>``) is shown once, when an operator creates it in the
    admin. The prefix finds the row; the secret is compared in constant time. A key is random
    (256 bits), so a fast hash is enough: there is nothing to brute-force as with passwords.
    """

    partner = models.ForeignKey(
        PlantingPartner,
        on_delete=models.CASCADE,
        related_name="api_keys",
        verbose_name=_("partner"),
    )
    name = models.CharField(
        max_length=80, help_text=_("Who or what uses this key"), verbose_name=_("name")
    )
    prefix = models.CharField(max_length=12, unique=True, editable=False, verbose_name=_("prefix"))
    secret_hash = models.CharField(max_length=64, editable=False, verbose_name=_("secret hash"))
    last_used_at = models.DateTimeField(
        null=True, blank=True, editable=False, verbose_name=_("last used at")
    )
    revoked_at = models.DateTimeField(null=True, blank=True, verbose_name=_("revoked at"))

    class Meta:
        verbose_name_plural = _("partner API keys")
        ordering = ["partner", "-created_at"]
        verbose_name = _("partner API key")

    def __str__(self) -> str:
        return f"{self.partner} · {self.name} (cnp_{self.prefix}_…)"


class PlantingOrder(TimeStampedModel):
    """A matured tree's order to its forest's planting partner.

    Created together with the budget reservation that pays for it, in one transaction.
    ``idempotency_key`` goes to the partner with every attempt, so a retry never buys twice.
    """

    class State(models.TextChoices):
        REQUESTED = "requested", _("Requested")
        FUNDED = "funded", _("Funded (accepted by the partner)")
        PLANTED = "planted", _("Planted")
        VERIFIED = "verified", _("Verified")
        SURVIVAL_CHECKED = "survival_checked", _("Survival checked")
        CANCELLED = "cancelled", _("Cancelled")

    tree = models.ForeignKey(
        "forest.Tree", on_delete=models.PROTECT, related_name="orders", verbose_name=_("tree")
    )
    forest = models.ForeignKey(
        "catalogue.BrandForest",
        on_delete=models.PROTECT,
        related_name="orders",
        verbose_name=_("forest"),
    )
    partner = models.ForeignKey(
        PlantingPartner, on_delete=models.PROTECT, related_name="orders", verbose_name=_("partner")
    )
    state = models.CharField(
        max_length=20, choices=State.choices, default=State.REQUESTED, verbose_name=_("state")
    )
    price = models.DecimalField(max_digits=8, decimal_places=2, verbose_name=_("price"))
    currency = models.CharField(max_length=3, verbose_name=_("currency"))
    idempotency_key = models.UUIDField(
        default=uuid.uuid4, unique=True, editable=False, verbose_name=_("idempotency key")
    )
    provider_reference = models.CharField(
        max_length=200, blank=True, verbose_name=_("provider reference")
    )
    submit_attempts = models.PositiveIntegerField(default=0, verbose_name=_("submit attempts"))
    last_error = models.CharField(max_length=500, blank=True, verbose_name=_("last error"))
    # After a failed submission the order waits this long before the next try (backoff while
    # the partner is down: planting_orders_submit, docs/failure-modes.md); empty: send now.
    next_attempt_at = models.DateTimeField(null=True, blank=True, verbose_name=_("next attempt at"))
    hold_reason = models.CharField(
        max_length=200,
        blank=True,
        help_text=_("Why a requested order is not sent yet (e.g. out of planting season)"),
        verbose_name=_("hold reason"),
    )
    planted_at = models.DateTimeField(null=True, blank=True, verbose_name=_("planted at"))
    planted_latitude = models.FloatField(null=True, blank=True, verbose_name=_("planted latitude"))
    planted_longitude = models.FloatField(
        null=True, blank=True, verbose_name=_("planted longitude")
    )
    verified_at = models.DateTimeField(null=True, blank=True, verbose_name=_("verified at"))

    class Meta:
        verbose_name = _("planting order")
        verbose_name_plural = _("planting orders")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["tree"],
                condition=~models.Q(state="cancelled"),
                name="partners_order_one_active_per_tree",
            )
        ]
        indexes = [
            # planting_orders_submit: a partner's requested orders, oldest first.
            models.Index(
                fields=["partner", "id"],
                name="partners_order_requested",
                condition=models.Q(state="requested"),
            ),
            # The metrics scrape (partners/metrics.py) counts orders and finds the oldest
            # change per state every 15 s: an index-only scan of this, not of the table.
            models.Index(fields=["state", "updated_at"], name="partners_order_state_age"),
        ]

    def __str__(self) -> str:
        return gettext("Order %(id)s for tree %(tree)s: %(state)s") % {
            "id": self.pk,
            "tree": self.tree_id,
            "state": self.get_state_display(),
        }


class PlantingOrderEvent(models.Model):
    """The history of an order: every state change and every failed submission."""

    order = models.ForeignKey(
        PlantingOrder, on_delete=models.CASCADE, related_name="events", verbose_name=_("order")
    )
    from_state = models.CharField(max_length=20, blank=True, verbose_name=_("from state"))
    to_state = models.CharField(max_length=20, verbose_name=_("to state"))
    note = models.CharField(max_length=500, blank=True, verbose_name=_("note"))
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))

    class Meta:
        verbose_name = _("planting order event")
        verbose_name_plural = _("planting order events")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        labels = dict(PlantingOrder.State.choices)
        return gettext("Order %(order)s: %(from)s → %(to)s") % {
            "order": self.order_id,
            "from": labels.get(self.from_state, self.from_state or "-"),
            "to": labels.get(self.to_state, self.to_state),
        }


class PlantingEvidence(TimeStampedModel):
    """A sanitised photo proving an order was planted: taken inside the forest, not reused.

    Only accepted evidence is stored (partners.services.evidence.planting_evidence_add checks
    GPS against the forest's area and the perceptual hash against the partner's earlier photos).
    """

    order = models.ForeignKey(
        PlantingOrder, on_delete=models.PROTECT, related_name="evidence", verbose_name=_("order")
    )
    photo = models.FileField(upload_to="evidence/%Y/%m/", verbose_name=_("photo"))
    width = models.PositiveIntegerField(verbose_name=_("width"))
    height = models.PositiveIntegerField(verbose_name=_("height"))
    taken_at = models.DateTimeField(null=True, blank=True, verbose_name=_("taken at"))
    latitude = models.FloatField(verbose_name=_("latitude"))
    longitude = models.FloatField(verbose_name=_("longitude"))
    dhash = models.CharField(
        max_length=16, help_text=_("Perceptual hash (64-bit dHash, hex)"), verbose_name=_("dhash")
    )
    sha256 = models.CharField(max_length=64, unique=True, verbose_name=_("sha256"))

    class Meta:
        verbose_name = _("planting evidence")
        ordering = ["-created_at", "-id"]
        verbose_name_plural = _("planting evidence")

    def __str__(self) -> str:
        return gettext("Photo %(id)s of order %(order)s") % {"id": self.pk, "order": self.order_id}


class SurvivalCheck(TimeStampedModel):
    """A yearly check (years 1 to 5 after planting) of whether an order's tree is alive."""

    order = models.ForeignKey(
        PlantingOrder,
        on_delete=models.PROTECT,
        related_name="survival_checks",
        verbose_name=_("order"),
    )
    year = models.PositiveSmallIntegerField(verbose_name=_("year"))
    checked_on = models.DateField(verbose_name=_("checked on"))
    alive = models.BooleanField(verbose_name=_("alive"))
    note = models.CharField(max_length=500, blank=True, verbose_name=_("note"))

    class Meta:
        verbose_name = _("survival check")
        verbose_name_plural = _("survival checks")
        ordering = ["order", "year"]
        constraints = [
            models.UniqueConstraint(fields=["order", "year"], name="partners_survival_once_a_year"),
            models.CheckConstraint(
                name="partners_survival_year_1_5", condition=models.Q(year__gte=1, year__lte=5)
            ),
        ]

    def __str__(self) -> str:
        alive = gettext("alive") if self.alive else gettext("dead")
        return gettext("Order %(order)s, year %(year)s: %(alive)s") % {
            "order": self.order_id,
            "year": self.year,
            "alive": alive,
        }


# --------------------------------------------------------------------------------------------
# Invoices: how a sponsor pays in (partners/services/billing.py)
# --------------------------------------------------------------------------------------------
