"""The append-only ledger of each brand forest's money."""

from __future__ import annotations

from django.db import models
from django.utils.formats import number_format
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from catalogue.models import BrandForest


class ForestBudgetEntry(models.Model):
    """One movement of a forest's money. Append-only; the available budget is their sum.

    topup (+): the sponsor pays in. reserve (-): held for one matured tree's order.
    release (+): a reservation given back (order cancelled, or converted into a spend).
    spend (-): the partner accepted the order and the money is gone.
    """

    class Kind(models.TextChoices):
        TOPUP = "topup", _("Top-up")
        RESERVE = "reserve", _("Reserved for a tree")
        RELEASE = "release", _("Reservation released")
        SPEND = "spend", _("Spent on a tree")

    forest = models.ForeignKey(
        BrandForest,
        on_delete=models.PROTECT,
        related_name="budget_entries",
        verbose_name=_("forest"),
    )
    kind = models.CharField(max_length=8, choices=Kind.choices, verbose_name=_("kind"))
    amount = models.DecimalField(max_digits=12, decimal_places=2, verbose_name=_("amount"))
    idempotency_key = models.CharField(
        max_length=160, unique=True, verbose_name=_("idempotency key")
    )
    order = models.ForeignKey(
        "partners.PlantingOrder",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="budget_entries",
        verbose_name=_("order"),
    )
    memo = models.CharField(max_length=200, blank=True, verbose_name=_("memo"))
    created_at = models.DateTimeField(
        auto_now_add=True, db_index=True, verbose_name=_("created at")
    )

    class Meta:
        verbose_name = _("forest budget entry")
        ordering = ["-created_at", "-id"]
        verbose_name_plural = _("forest budget entries")
        constraints = [
            models.CheckConstraint(
                name="partners_budget_sign_by_kind",
                condition=(
                    models.Q(kind__in=["topup", "release"], amount__gt=0)
                    | models.Q(kind__in=["reserve", "spend"], amount__lt=0)
                ),
            )
        ]

    def __str__(self) -> str:
        return gettext("%(kind)s of %(amount)s (forest %(forest)s)") % {
            "kind": self.get_kind_display(),
            "amount": number_format(self.amount, decimal_pos=2, force_grouping=True),
            "forest": self.forest_id,
        }

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise RuntimeError("Budget entries are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise RuntimeError("Budget entries are append-only.")
