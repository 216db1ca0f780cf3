"""Top-up invoices for brand forests."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from catalogue.models import BrandForest, Sponsor
from core.models import TimeStampedModel
from partners.models.budget import ForestBudgetEntry


class InvoiceNumberSequence(models.Model):
    """The last invoice number issued per year. Its row is locked while a number is taken,
    so numbers are gapless and in order within a year (a rolled-back request gives its
    number back), as Dutch and EU invoicing rules ask."""

    year = models.PositiveSmallIntegerField(primary_key=True, verbose_name=_("year"))
    last_number = models.PositiveIntegerField(default=0, verbose_name=_("last number"))

    def __str__(self) -> str:
        return f"{self.year}: {self.last_number}"


class Invoice(TimeStampedModel):
    """A sponsor's request to top up one forest's budget, and the bill for it.

    ``amount`` (net) is what the forest's budget gets once an operator marks the invoice
    paid; VAT is added on top at ``vat_rate`` percent and goes to the tax office, not into
    the budget. Paying writes exactly one ForestBudgetEntry (idempotency key
    ``topup:invoice:<pk>``), linked in ``budget_entry``.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending payment")
        PAID = "paid", _("Paid")
        CANCELLED = "cancelled", _("Cancelled")

    sponsor = models.ForeignKey(
        Sponsor, on_delete=models.PROTECT, related_name="invoices", verbose_name=_("sponsor")
    )
    forest = models.ForeignKey(
        BrandForest, on_delete=models.PROTECT, related_name="invoices", verbose_name=_("forest")
    )
    number = models.CharField(max_length=20, unique=True, editable=False, verbose_name=_("number"))
    payment_reference = models.CharField(
        max_length=25,
        unique=True,
        editable=False,
        help_text=_("ISO 11649 creditor reference the sponsor quotes with the transfer"),
        verbose_name=_("payment reference"),
    )
    po_reference = models.CharField(max_length=64, blank=True, verbose_name=_("po reference"))
    currency = models.CharField(max_length=3, default="EUR", verbose_name=_("currency"))
    amount = models.DecimalField(max_digits=12, decimal_places=2, verbose_name=_("amount"))
    vat_rate = models.DecimalField(max_digits=5, decimal_places=2, verbose_name=_("vat rate"))
    vat_amount = models.DecimalField(max_digits=12, decimal_places=2, verbose_name=_("vat amount"))
    total = models.DecimalField(max_digits=12, decimal_places=2, verbose_name=_("total"))
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.PENDING, verbose_name=_("status")
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("requested by"),
    )
    paid_at = models.DateTimeField(null=True, blank=True, verbose_name=_("paid at"))
    paid_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("paid by"),
    )
    cancelled_at = models.DateTimeField(null=True, blank=True, verbose_name=_("cancelled at"))
    budget_entry = models.OneToOneField(
        ForestBudgetEntry,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="invoice",
        editable=False,
        verbose_name=_("budget entry"),
    )

    class Meta:
        verbose_name = _("invoice")
        verbose_name_plural = _("invoices")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                name="partners_invoice_amount_positive", condition=models.Q(amount__gt=0)
            ),
            models.CheckConstraint(
                name="partners_invoice_paid_has_entry",
                condition=~models.Q(status="paid")
                | models.Q(paid_at__isnull=False, budget_entry__isnull=False),
            ),
        ]
        indexes = [
            # invoice list in the portal: one sponsor's invoices, newest first.
            models.Index(fields=["sponsor", "-created_at"], name="partners_invoice_sponsor"),
        ]

    def __str__(self) -> str:
        return f"{self.number} ({self.sponsor})"


# --------------------------------------------------------------------------------------------
# Claim codes: single-use codes on receipts or in links that give energy (services/claims.py)
# --------------------------------------------------------------------------------------------
