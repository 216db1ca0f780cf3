"""Issue 12: shapes of real bank files (genkgo/camt, OCA bank-statement-import, ofxparse,
ofxtools, Plaid's and GoCardless's examples) that the importer got wrong, as minimal files.

Reversals claw back, ids never let one transaction overwrite another, a feed is one account,
a batch is its transactions, errors name their element, unsupported files are named.
"""

from __future__ import annotations

import json
from decimal import Decimal
from io import StringIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.test import override_settings

from accounts.integrations.sources.base import SourceError
from accounts.integrations.sources.registry import detect_format
from accounts.models import ImportBatch, Transaction
from accounts.services import import_merge
from accounts.services.importing import transactions_import
from forest.models import EnergyDrop, EnergyLedgerEntry, GreenAction
from tests.accounts.factories import LinkedFeedFactory
from tests.accounts.feed_helpers import FIXTURES, import_bytes, txn
from tests.forest.helpers import assert_ledger_consistent, balance, score_all

pytestmark = pytest.mark.django_db

SHAPES = FIXTURES / "bank_shapes"
OWN_IBAN = "NL44RABO0123456789"


def _bytes(name: str) -> bytes:
    return (SHAPES / name).read_bytes()


def _import(feed, name: str) -> ImportBatch:
    return import_bytes(feed, _bytes(name))


def _rows(feed) -> dict[str, Transaction]:
    return {t.merchant_name: t for t in Transaction.objects.filter(feed=feed)}


# --- camt.053 reversals ---------------------------------------------------------------------


@override_settings(CANOPY_SELF_REPORTED_EARNS=True)  # a file upload earns only in a pilot
def test_a_reversed_card_payment_names_the_shop_and_claws_the_energy_back():
    feed = LinkedFeedFactory(provider="file", account_ref=OWN_IBAN)
    assert _import(feed, "camt053_card_purchase.xml").count_new == 1
    score_all()
    earned = GreenAction.objects.get(grams__gt=0).grams
    assert earned > 0

    batch = _import(feed, "camt053_card_reversal.xml")
    reversal = Transaction.objects.get(feed=feed, is_reversal=True)
    # The creditor of the original payment, not the debtor (the customer) of the credit.
    assert (batch.count_new, reversal.merchant_name) == (1, "Vinted")
    assert reversal.amount == Decimal("40.00")
    score_all()

    clawback = GreenAction.objects.get(transaction=reversal)
    assert clawback.grams == -earned
    assert EnergyLedgerEntry.objects.filter(kind="reversal", user=feed.user).count() == 1
    # The drop is still open: the claw-back comes out of it (docs/energy.md), the balance is whole.
    assert EnergyDrop.objects.get(user=feed.user).remaining == 0
    assert balance(feed.user) == 0
    assert_ledger_consistent()


def test_a_reversal_never_names_the_account_holder_as_merchant():
    """Only the customer's own party (their IBAN) besides the original side: no merchant."""
    data = _bytes("camt053_card_reversal.xml").replace(b"<Cdtr><Nm>Vinted</Nm></Cdtr>", b"")
    feed = LinkedFeedFactory(provider="file", account_ref=OWN_IBAN)

    import_bytes(feed, data)

    assert Transaction.objects.get(feed=feed).merchant_name == ""


# --- camt.053 ids -----------------------------------------------------------------------------


def test_ntryref_and_end_to_end_id_never_make_two_transactions_one():
    """Day 2 numbers its entries 1, 2 again and reuses the payer's EndToEndId: before, its two
    transactions overwrote day 1's ("new 0, updated 2")."""
    feed = LinkedFeedFactory(provider="file", account_ref=OWN_IBAN)

    day1 = _import(feed, "camt053_ntryref_day1.xml")
    day2 = _import(feed, "camt053_ntryref_day2.xml")

    assert (day1.count_new, day2.count_new, day2.count_updated) == (2, 2, 0)
    rows = _rows(feed)
    assert set(rows) == {"GVB", "Albert Heijn 1021", "NS Groep", "Shell De Meern"}
    assert rows["GVB"].amount == Decimal("-3.40")
    assert all(t.provider_txn_id.startswith("fp:") for t in rows.values())


def test_the_fingerprint_is_stable_across_overlapping_files():
    feed = LinkedFeedFactory(provider="file", account_ref=OWN_IBAN)
    _import(feed, "camt053_ntryref_day1.xml")
    # The same day again in another file (another MsgId, so another hash): nothing changes.
    again = _bytes("camt053_ntryref_day1.xml").replace(b"DAY-1", b"DAY-1-RESENT")

    batch = import_bytes(feed, again)

    assert (batch.count_new, batch.count_updated, batch.count_duplicate) == (0, 0, 2)


# --- several accounts in one file ---------------------------------------------------------------


def test_a_camt053_of_two_accounts_imports_only_the_feeds_own():
    feed = LinkedFeedFactory(provider="file", account_ref="NL69 INGB 0123 4567 89")

    batch = _import(feed, "camt053_two_accounts.xml")

    assert (batch.status, batch.count_new, batch.count_duplicate) == ("done", 1, 0)
    (row,) = Transaction.objects.filter(feed=feed)
    assert row.merchant_name == "Spaarrekening overboeking"


def test_a_file_of_two_accounts_for_a_feed_of_neither_is_refused_naming_them():
    feed = LinkedFeedFactory(provider="file", account_ref="file-0123abcd")

    batch = _import(feed, "camt053_two_accounts.xml")

    assert batch.status == "rejected"
    message = batch.errors[0]["message"]
    assert "2 accounts" in message and OWN_IBAN in message and "NL69INGB0123456789" in message
    assert not Transaction.objects.filter(feed=feed).exists()


def test_several_statements_of_one_account_are_one_account():
    """genkgo/camt's multi-statement file: two Stmt, one IBAN."""
    feed = LinkedFeedFactory(provider="file", account_ref="file-0123abcd")

    assert _import(feed, "camt053_two_statements_one_account.xml").count_new == 2


def test_a_statement_of_another_iban_is_refused():
    feed = LinkedFeedFactory(provider="file", account_ref="NL91ABNA0417164300")

    batch = _import(feed, "camt053_card_purchase.xml")

    assert batch.status == "rejected"
    assert batch.errors[0]["field"] == "account"
    assert OWN_IBAN in batch.errors[0]["message"]


def test_an_ofx_of_a_bank_and_a_card_statement_imports_the_feeds_account():
    card = LinkedFeedFactory(provider="file", account_ref="4111XXXXXXXX1111")
    other = LinkedFeedFactory(provider="file", account_ref="file-0123abcd")

    card_batch = _import(card, "ofx_two_accounts.ofx")
    other_batch = _import(other, "ofx_two_accounts.ofx")

    # Both statements use FITID 1001: merged, one would have overwritten the other.
    assert (card_batch.status, card_batch.count_new) == ("done", 1)
    assert Transaction.objects.get(feed=card).amount == Decimal("-289.00")
    assert other_batch.status == "rejected"
    assert "4111XXXXXXXX1111" in other_batch.errors[0]["message"]


def test_a_plaid_page_of_two_accounts_imports_the_feeds_account():
    feed = LinkedFeedFactory(provider="file", account_ref="acc-checking")
    stranger = LinkedFeedFactory(provider="file", account_ref="file-0123abcd")

    assert _import(feed, "plaid_two_accounts.json").count_new == 1
    assert Transaction.objects.get(feed=feed).provider_txn_id == "tx-gvb-1"
    refused = _import(stranger, "plaid_two_accounts.json")
    assert refused.status == "rejected"
    assert "acc-credit-card" in refused.errors[0]["message"]


# --- one id, two transactions -------------------------------------------------------------------


def test_two_transactions_with_one_fitid_refuse_the_file_naming_both_lines():
    feed = LinkedFeedFactory(provider="file")

    batch = _import(feed, "ofx_same_fitid.ofx")

    assert batch.status == "rejected"
    error = batch.errors[0]
    assert error["where"] == "line 39 and line 46"
    assert "'0'" in error["message"] and "amount" in error["message"]
    assert not Transaction.objects.filter(feed=feed).exists()


def test_an_identical_repeat_is_still_a_duplicate():
    feed = LinkedFeedFactory(provider="file")
    data = (
        _bytes("ofx_same_fitid.ofx")
        .replace(b"-14.20", b"-3.40")
        .replace(b"NS GROEP", b"GVB AMSTERDAM")
    )
    data = data.replace(b"20261104", b"20261103")

    batch = import_bytes(feed, data)

    assert (batch.status, batch.count_new, batch.count_duplicate) == ("done", 1, 1), batch.errors


# --- batches --------------------------------------------------------------------------------


def test_a_batch_entry_is_one_transaction_per_txdtls():
    feed = LinkedFeedFactory(provider="file", account_ref=OWN_IBAN)

    batch = _import(feed, "camt053_batch.xml")

    assert batch.count_new == 3
    rows = _rows(feed)
    assert {name: row.amount for name, row in rows.items()} == {
        "Vinted": Decimal("-40.00"),
        "NS Groep": Decimal("-14.20"),
        "Albert Heijn 1021": Decimal("-21.30"),
    }
    assert rows["NS Groep"].description == "Reis 1106"
    assert rows["NS Groep"].provider_txn_id == "20261106-BATCH-0042/2"
    assert sum(r.amount for r in rows.values()) == Decimal("-75.50")
    # Importing the statement again changes nothing.
    again = import_bytes(feed, _bytes("camt053_batch.xml").replace(b"BATCH-1<", b"BATCH-1b<"))
    assert (again.count_new, again.count_duplicate) == (0, 3)


def test_a_batch_without_amounts_per_transaction_stays_one_entry():
    data = _bytes("camt053_batch.xml")
    for amount in (b"40.00", b"14.20", b"21.30"):
        data = data.replace(
            b'<AmtDtls><TxAmt><Amt Ccy="EUR">' + amount + b"</Amt></TxAmt></AmtDtls>", b""
        )
    feed = LinkedFeedFactory(provider="file", account_ref=OWN_IBAN)

    import_bytes(feed, data)

    (row,) = Transaction.objects.filter(feed=feed)
    assert (row.amount, row.provider_txn_id) == (Decimal("-75.50"), "20261106-BATCH-0042")


# --- errors name the element; unsupported files are named ---------------------------------------


def _command(feed, name: str) -> str:
    err = StringIO()
    with pytest.raises(CommandError, match="rejected"):
        call_command(
            "import_transactions",
            "--feed",
            str(feed.pk),
            str(SHAPES / name),
            "--no-progress",
            stdout=StringIO(),
            stderr=err,
        )
    return err.getvalue()


@pytest.mark.parametrize(
    ("name", "where"),
    [
        ("plaid_bad_amount.json", "added[1], field 'amount'"),
        ("berlin_group_bad_date.json", "transactions.booked[0], field 'bookingDate'"),
    ],
)
def test_the_command_names_the_element_of_a_json_error(name, where):
    err = _command(LinkedFeedFactory(provider="file"), name)

    assert where in err
    assert "line None" not in err


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("camt052.xml", "camt.052 account report"),
        ("camt054.xml", "camt.054 debit/credit notification"),
        ("plaid_transactions_get.json", "Plaid /transactions/get response"),
    ],
)
def test_recognised_unsupported_files_are_named(name, kind):
    with pytest.raises(SourceError) as err:
        detect_format(_bytes(name)[:8192])

    assert kind in err.value.message
    assert "supported are OFX" in err.value.message


def test_an_explicit_format_still_names_a_plaid_get_response():
    feed = LinkedFeedFactory(provider="file")

    batch = import_bytes(feed, _bytes("plaid_transactions_get.json"), format="plaid")

    assert "/transactions/get" in batch.errors[0]["message"]


@pytest.fixture
def upload(user, user_client):
    feed = LinkedFeedFactory(user=user, provider="file")

    def post(name: str):
        payload = {"file": SimpleUploadedFile(name, _bytes(name))}
        return user_client.post(f"/api/v1/feeds/{feed.pk}/uploads", payload, format="multipart")

    return post


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("camt054.xml", "camt.054 debit/credit notification"),
        ("ofx_investment.ofx", "OFX investment statement (INVSTMTRS)"),
        ("ofx_signon_error.ofx", "Ongeldige gebruikersnaam of wachtwoord (OFX status 15500)"),
    ],
)
def test_the_upload_api_names_unsupported_and_refused_files_with_a_400(upload, name, text):
    response = upload(name)

    assert response.status_code == 400, response.content
    assert text in response.json()["detail"]
    assert not Transaction.objects.exists()


def test_an_ofx_statement_request_error_shows_the_banks_code_meaning():
    data = _bytes("ofx_signon_error.ofx").replace(
        b"<CODE>15500\n<SEVERITY>ERROR\n<MESSAGE>Ongeldige gebruikersnaam of wachtwoord\n",
        b"<CODE>0\n<SEVERITY>INFO\n",
    )
    data = data.replace(
        b"</SIGNONMSGSRSV1>",
        b"</SIGNONMSGSRSV1>\n<BANKMSGSRSV1>\n<STMTTRNRS>\n<TRNUID>1\n<STATUS>\n<CODE>2003\n"
        b"<SEVERITY>ERROR\n</STATUS>\n</STMTTRNRS>\n</BANKMSGSRSV1>",
    )
    feed = LinkedFeedFactory(provider="file")

    batch = import_bytes(feed, data, format="ofx")

    error = batch.errors[0]
    assert error["where"] == "STMTTRNRS/STATUS"
    assert (
        "refused the statement request: account not found (OFX status 2003)" in (error["message"])
    )


def test_removals_of_other_accounts_do_not_make_a_page_multi_account():
    """A Plaid item's page lists removals of all its accounts; the feed's own still imports."""
    page = json.loads(_bytes("plaid_two_accounts.json"))
    page["added"] = page["added"][:1]
    page["removed"] = [
        {"transaction_id": "tx-old-card", "account_id": "acc-credit-card"},
        {"transaction_id": "tx-old-savings", "account_id": "acc-savings"},
    ]
    feed = LinkedFeedFactory(provider="file", account_ref="acc-checking")

    batch = import_bytes(feed, json.dumps(page).encode())

    assert (batch.status, batch.count_new, batch.count_removed) == ("done", 1, 0)


@pytest.mark.parametrize("tracked", [2, 200_000])
def test_repeats_are_found_whether_or_not_the_ids_fit_in_memory(monkeypatch, tracked):
    """Inputs that repeat no id skip the repeat statements; past the tracked ids they run."""
    monkeypatch.setattr(import_merge, "_MAX_TRACKED_IDS", tracked)
    feed = LinkedFeedFactory(provider="file")
    items = [txn("A"), txn("B"), txn("C")]

    same = transactions_import(feed=feed, items=[*items, txn("A")], source="upload", format="csv")
    other = transactions_import(
        feed=feed, items=[*items, txn("A", amount=Decimal("-9.99"))], source="upload", format="csv"
    )

    assert (same.status, same.count_new, same.count_duplicate) == ("done", 3, 1)
    assert other.status == "rejected"
    assert other.errors[0]["where"] == "item 1 and item 4"
