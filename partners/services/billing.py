"""Writes for invoices: a sponsor asks to top up a forest, an operator records the payment.

Money reaches a forest's budget only when an invoice is marked paid, through
``forest_budget_topup`` with the key ``topup:invoice:<pk>``, in the same transaction that
marks the invoice paid and under the invoice's row lock. A second "mark paid" (a double
click, two operators, a retried admin action) finds the invoice paid and writes nothing,
and even without the lock the unique key would refuse a second entry.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from core.locks import lock_rows
from partners.models import Invoice, InvoiceNumberSequence
from partners.services.planting_orders import forest_budget_topup

if TYPE_CHECKING:
    from catalogue.models import BrandForest, Sponsor

CENT = Decimal("0.01")
# Sane limits for one top-up in the forest's currency; override with settings of these names.
TOPUP_MIN = Decimal(getattr(settings, "CANOPY_TOPUP_MIN", "50.00"))
TOPUP_MAX = Decimal(getattr(settings, "CANOPY_TOPUP_MAX", "100000.00"))
# Dutch standard VAT rate in percent; CANOPY_INVOICE_VAT_RATE overrides it (0 for reverse charge).
VAT_RATE = Decimal(getattr(settings, "CANOPY_INVOICE_VAT_RATE", "21.00"))
INVOICE_PREFIX = "CAN"


class InvoiceError(Exception):
    """The invoice cannot do that; str(exc) is safe to show to the operator."""


def invoice_topup_key(invoice: Invoice) -> str:
    """The budget ledger's idempotency key for an invoice's top-up: one entry per invoice."""
    return f"topup:invoice:{invoice.pk}"


def creditor_reference(reference: str) -> str:
    """ISO 11649 "RF" creditor reference for ``reference`` (letters and digits).

    Banks validate its two check digits (mod 97, as IBANs), so a mistyped reference is
    caught at the sponsor's bank rather than landing unmatched on ours.
    """
    body = "".join(ch for ch in reference.upper() if ch.isalnum())
    digits = "".join(str(int(ch, 36)) for ch in f"{body}RF00")
    return f"RF{98 - int(digits) % 97:02d}{body}"


def _next_number(year: int) -> str:
    """Take the year's next number under the sequence row's lock (gapless within a year)."""
    InvoiceNumberSequence.objects.get_or_create(year=year)
    sequence = lock_rows(InvoiceNumberSequence.objects).get(year=year)
    sequence.last_number += 1
    sequence.save(update_fields=["last_number"])
    return f"{INVOICE_PREFIX}-{year}-{sequence.last_number:06d}"


def vat_for(amount: Decimal, rate: Decimal = VAT_RATE) -> Decimal:
    return (amount * rate / 100).quantize(CENT, rounding=ROUND_HALF_UP)


@transaction.atomic
def invoice_request(
    *, sponsor: Sponsor, forest: BrandForest, amount: Decimal, requested_by, po_reference: str = ""
) -> Invoice:
    """A pending invoice for topping up ``forest`` by ``amount`` (net, before VAT)."""
    if forest.sponsor_id != sponsor.pk:
        raise InvoiceError("The forest belongs to another sponsor.")
    amount = Decimal(amount).quantize(CENT)
    if not TOPUP_MIN <= amount <= TOPUP_MAX:
        raise InvoiceError(f"A top-up is between {TOPUP_MIN} and {TOPUP_MAX}.")
    now = timezone.now()
    number = _next_number(timezone.localtime(now).year)
    vat = vat_for(amount)
    return Invoice.objects.create(
        sponsor=sponsor,
        forest=forest,
        number=number,
        payment_reference=creditor_reference(number),
        po_reference=po_reference.strip()[:64],
        currency=forest.currency,
        amount=amount,
        vat_rate=VAT_RATE,
        vat_amount=vat,
        total=amount + vat,
        requested_by=requested_by,
    )


@transaction.atomic
def invoice_mark_paid(*, invoice_id: int, paid_by=None) -> tuple[Invoice, bool]:
    """Record the payment and credit the forest's budget once; returns (invoice, newly paid).

    Already paid: nothing changes (False). Cancelled: refused with InvoiceError.
    """
    invoice = lock_rows(Invoice.objects.select_related("forest")).get(pk=invoice_id)
    if invoice.status == Invoice.Status.PAID:
        return invoice, False
    if invoice.status == Invoice.Status.CANCELLED:
        raise InvoiceError(f"Invoice {invoice.number} is cancelled and cannot be paid.")
    entry = forest_budget_topup(
        forest=invoice.forest,
        amount=invoice.amount,
        idempotency_key=invoice_topup_key(invoice),
        memo=f"invoice {invoice.number}",
    )
    invoice.status = Invoice.Status.PAID
    invoice.paid_at = timezone.now()
    invoice.paid_by = paid_by
    invoice.budget_entry = entry
    invoice.save(update_fields=["status", "paid_at", "paid_by", "budget_entry", "updated_at"])
    return invoice, True


@transaction.atomic
def invoice_cancel(*, invoice_id: int) -> tuple[Invoice, bool]:
    """Cancel a pending invoice; returns (invoice, newly cancelled). A paid one is refused."""
    invoice = lock_rows(Invoice.objects).get(pk=invoice_id)
    if invoice.status == Invoice.Status.CANCELLED:
        return invoice, False
    if invoice.status == Invoice.Status.PAID:
        raise InvoiceError(f"Invoice {invoice.number} is paid and cannot be cancelled.")
    invoice.status = Invoice.Status.CANCELLED
    invoice.cancelled_at = timezone.now()
    invoice.save(update_fields=["status", "cancelled_at", "updated_at"])
    return invoice, True


# Who issues the invoices. Operators set CANOPY_INVOICE_ISSUER (a dict with these keys) in
# the settings; these placeholders make an unconfigured invoice obviously unconfigured.
DEFAULT_ISSUER = {
    "name": "Canopy B.V.",
    "address": ["Keizersgracht 1", "1015 AA Amsterdam", "Nederland"],
    "vat_number": "NL000000000B01",
    "coc_number": "00000000",
    "iban": "NL00 BANK 0000 0000 00",
    "bic": "BANKNL2A",
    "email": "billing@canopy.local",
}
PAYMENT_TERM_DAYS = 14


def invoice_issuer() -> dict:
    return {**DEFAULT_ISSUER, **getattr(settings, "CANOPY_INVOICE_ISSUER", {})}
