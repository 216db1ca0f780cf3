"""``manage.py renormalise_merchants``: stored names follow a changed normaliser."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from accounts.models import ChangedTransaction, Transaction
from tests.accounts.factories import LinkedFeedFactory, TransactionFactory

pytestmark = pytest.mark.django_db


def test_stale_names_are_renamed_and_erased_rows_stay_erased():
    feed = LinkedFeedFactory()
    stale = TransactionFactory(feed=feed, merchant_name="PAYPAL *VINTED", queued=False)
    fallback = TransactionFactory(
        feed=feed, merchant_name="Mollie B.V.", queued=False,
        description="/TRTP/iDEAL/NAME/Stichting Mollie Payments/REMI/M123 Kringloop Zuid/",
    )  # fmt: skip
    fine = TransactionFactory(feed=feed, merchant_name="GVB", queued=False)
    erased = TransactionFactory(feed=feed, merchant_name="", description="", queued=False)
    # As an older normaliser left them.
    Transaction.objects.filter(pk=stale.pk).update(merchant_norm="paypal vinted")
    Transaction.objects.filter(pk=fallback.pk).update(merchant_norm="mollie", descriptor_norm="")
    Transaction.objects.filter(pk=erased.pk).update(merchant_norm="x", redacted_at=timezone.now())

    out = StringIO()
    call_command("renormalise_merchants", "--queue", verbosity=0, stdout=out)

    names = dict(Transaction.objects.values_list("pk", "merchant_norm"))
    assert names[stale.pk] == "vinted"
    assert names[fallback.pk] == ""
    assert Transaction.objects.get(pk=fallback.pk).descriptor_norm == "kringloop zuid"
    assert names[fine.pk] == "gvb"
    assert names[erased.pk] == "x"
    assert "3 transactions examined, 2 renamed, 2 queued" in out.getvalue()
    queued = dict(ChangedTransaction.objects.values_list("transaction_id", "reason"))
    assert queued == {stale.pk: "changed", fallback.pk: "changed"}


def test_a_second_run_changes_nothing():
    TransactionFactory(merchant_name="SQ *BLUE BOTTLE COFFEE", queued=False)
    call_command("renormalise_merchants", verbosity=0, stdout=StringIO())
    out = StringIO()
    call_command("renormalise_merchants", verbosity=0, stdout=out)
    assert "0 renamed" in out.getvalue()
