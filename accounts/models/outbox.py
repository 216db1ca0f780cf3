"""The outbox of changed transactions: what an import booked, changed or removed, for the game.

Accounts writes it (the importer, re-score requests through ``accounts.services.outbox``);
the nightly scoring claims from it through the same service and never writes it itself.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _


class ChangedTransaction(models.Model):
    """Transactions waiting for the nightly scoring: new booked ones, removed ones to reverse,
    and re-score requests.

    Scoring claims its chunk's rows with ``DELETE … RETURNING``: a narrow table is cheap to
    claim from (updating a flag on the wide, many-indexed transactions table was 55 % of a
    scoring run), the row lock of the DELETE stops two workers scoring one transaction, and a
    rolled-back chunk puts its rows back by itself.
    """

    class Reason(models.TextChoices):
        NEW = "new", _("Newly booked")
        CHANGED = "changed", _("Changed by the bank")
        REMOVED = "removed", _("Removed by the bank")
        RESCORE = "rescore", _("Re-score requested")

    # No constraint: the importer queues each row it writes, and a per-row trigger check at
    # commit would double the cost of queueing. Scoring joins the transaction and skips none.
    transaction = models.OneToOneField(
        "accounts.Transaction",
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="+",
        db_constraint=False,
        verbose_name=_("transaction"),
    )
    user_id = models.BigIntegerField(verbose_name=_("user id"))
    # "new" rows cannot have an action yet, so scoring skips the per-row check for them.
    reason = models.CharField(
        max_length=8, choices=Reason.choices, default=Reason.NEW, verbose_name=_("reason")
    )
    queued_at = models.DateTimeField(auto_now_add=True, verbose_name=_("queued at"))

    class Meta:
        verbose_name = _("changed transaction")
        verbose_name_plural = _("changed transactions")
        ordering = ["user_id"]
        indexes = [models.Index(fields=["user_id"], name="accounts_outbox_user")]

    def __str__(self) -> str:
        return gettext("Changed transaction %(id)s") % {"id": self.transaction_id}
