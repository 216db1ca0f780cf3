"""OFX 1.x SGML and 2.x XML statements: mapping, encodings, corrections, errors with lines."""

from __future__ import annotations

import io
import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from accounts.integrations.sources.base import (
    NormalisedTransaction,
    RemovedTransaction,
    SourceError,
)
from accounts.integrations.sources.ofx import OfxSource

SAMPLES = Path(__file__).parent / "samples"

HEADER = (
    "OFXHEADER:100\nDATA:OFXSGML\nVERSION:102\nSECURITY:NONE\nENCODING:USASCII\n"
    "CHARSET:1252\nCOMPRESSION:NONE\nOLDFILEUID:NONE\nNEWFILEUID:NONE\n\n"
)


def _parse_file(name: str) -> list:
    with (SAMPLES / name).open("rb") as stream:
        return list(OfxSource().parse(stream))


def _sgml(transactions: str, *, curdef: str = "EUR") -> bytes:
    """A minimal OFX 1.x bank statement: CURDEF on line 14, the first STMTTRN on line 17."""
    body = (
        "<OFX>\n<SIGNONMSGSRSV1><SONRS><STATUS><CODE>0<SEVERITY>INFO</STATUS>"
        "<DTSERVER>20261109<LANGUAGE>DUT</SONRS></SIGNONMSGSRSV1>\n"
        "<BANKMSGSRSV1><STMTTRNRS><TRNUID>1<STATUS><CODE>0<SEVERITY>INFO</STATUS>\n"
        f"<STMTRS><CURDEF>{curdef}\n<BANKACCTFROM><BANKID>INGBNL2A<ACCTID>NL69INGB0123456789"
        "<ACCTTYPE>CHECKING</BANKACCTFROM>\n<BANKTRANLIST><DTSTART>20261101<DTEND>20261108\n"
        f"{transactions}"
        "</BANKTRANLIST>\n</STMTRS></STMTTRNRS></BANKMSGSRSV1>\n</OFX>\n"
    )
    return (HEADER + body).encode()


def _parse(data: bytes) -> list:
    return list(OfxSource().parse(io.BytesIO(data)))


GVB = (
    "<STMTTRN>\n<TRNTYPE>POS\n<DTPOSTED>20261103\n<TRNAMT>-3.40\n<FITID>F1\n"
    "<NAME>GVB AMSTERDAM\n<MEMO>OV-CHIPKAART\n</STMTTRN>\n"
)


def test_sgml_bank_statement() -> None:
    items = _parse_file("ofx_bank_v1.ofx")

    assert len(items) == 7
    assert all(isinstance(i, NormalisedTransaction) for i in items)
    ns, gvb1, gvb2, kringloop, vinted, ah, shell = items

    assert ns.provider_txn_id == "ABN20261102000001"
    assert ns.status == "booked"
    assert ns.amount == Decimal("-23.40")
    assert ns.currency == "EUR"
    assert ns.booking_date == date(2026, 11, 2)
    assert ns.transaction_date == date(2026, 11, 1)
    assert ns.merchant_name == "NS GROEP IZ NS REIZIGERS"
    assert ns.description == "BEA NR:5X4T21 01.11.26/08.12 UTRECHT CENTRAAL"
    assert ns.provider_category == "POS"
    assert ns.mcc == ""

    # The same ride twice on one day: different FITIDs and different fingerprints.
    assert gvb1.fingerprint != gvb2.fingerprint
    assert gvb1.booking_date == date(2026, 11, 3)  # time and [+1:CET] zone ignored

    # cp1252 bytes decoded; decimal comma accepted; four-digit SIC becomes the MCC.
    assert kringloop.merchant_name == "Kringloop Éénhoorn"
    assert kringloop.amount == Decimal("-12.50")
    assert kringloop.mcc == "5931"

    assert vinted.amount == Decimal("18.00")
    assert vinted.provider_category == "CREDIT"

    # No MEMO: the description is the NAME; "&amp;" decoded; a 3-digit SIC is no MCC.
    assert ah.merchant_name == "ALBERT HEIJN 1234 & CO"
    assert ah.description == "ALBERT HEIJN 1234 & CO"
    assert ah.mcc == ""

    # An empty SGML <MEMO> does not swallow the rest of the transaction.
    assert shell.description == "SHELL A2 HOOGE WEIDE"
    assert shell.mcc == "5541"


def test_every_transaction_has_fingerprint_and_json_raw_with_its_line() -> None:
    items = _parse_file("ofx_bank_v1.ofx")

    assert all(i.fingerprint.startswith("fp:") for i in items)
    assert items[0].provider_txn_id == "ABN20261102000001"
    assert items[0].raw["_line"] == 39
    # the fields stored as columns are not repeated in the payload
    assert not {"FITID", "TRNAMT", "DTPOSTED", "NAME", "MEMO"} & set(items[0].raw)
    json.dumps([i.raw for i in items])


def test_fingerprints_are_stable_across_parses() -> None:
    first = [i.fingerprint for i in _parse_file("ofx_bank_v1.ofx")]
    second = [i.fingerprint for i in _parse_file("ofx_bank_v1.ofx")]

    assert first == second


def test_xml_credit_card_statement() -> None:
    items = _parse_file("ofx_creditcard_v2.ofx")

    assert [i.provider_txn_id for i in items] == [f"CC-2026-11-000{n}" for n in range(1, 6)]
    klm, ov_fiets, tfl, pret, refund = items

    assert klm.amount == Decimal("-289.00")
    assert klm.booking_date == date(2026, 11, 3)
    assert klm.transaction_date == date(2026, 11, 1)
    assert klm.mcc == "3007"

    # NAME inside a PAYEE aggregate; an empty <MEMO></MEMO> falls back to the name.
    assert ov_fiets.merchant_name == "OV-fiets"
    assert ov_fiets.description == "OV-fiets"

    # CURRENCY: the amount is in that currency. ORIGCURRENCY: already converted to CURDEF.
    assert tfl.currency == "GBP"
    assert pret.currency == "EUR"

    assert refund.amount == Decimal("35.00")
    assert refund.description == "Refund seat selection & baggage"


def test_single_line_utf8_body() -> None:
    header, body = _sgml(GVB).decode().split("\n\n", 1)
    data = header + "\n\n" + body.replace("\n", "").replace("GVB AMSTERDAM", "Café Ré")

    (item,) = _parse(data.encode("utf-8"))

    assert item.merchant_name == "Café Ré"
    assert item.amount == Decimal("-3.40")


def test_missing_fitid_uses_the_fingerprint() -> None:
    (item,) = _parse(_sgml(GVB.replace("<FITID>F1\n", "")))

    assert item.provider_txn_id == item.fingerprint


def test_overlong_fitid_is_hashed_to_fit() -> None:
    (item,) = _parse(_sgml(GVB.replace("<FITID>F1", "<FITID>" + "9" * 200)))

    assert len(item.provider_txn_id) <= 128
    assert item.provider_txn_id.startswith("h:")


def test_correction_delete_and_replace() -> None:
    delete = GVB.replace("<FITID>F1", "<FITID>F2<CORRECTFITID>F1<CORRECTACTION>DELETE")
    replace = GVB.replace("<FITID>F1", "<FITID>F3<CORRECTFITID>F0<CORRECTACTION>REPLACE")

    items = _parse(_sgml(delete + replace))

    account = "NL69INGB0123456789"  # the statement's ACCTID
    assert items[0] == RemovedTransaction("F1", account=account)
    assert items[1] == RemovedTransaction("F0", account=account)
    assert isinstance(items[2], NormalisedTransaction)
    assert items[2].provider_txn_id == "F3"


def test_bad_amount_names_the_line() -> None:
    bad = GVB.replace("-3.40", "-3.4O")

    with pytest.raises(SourceError) as err:
        _parse(_sgml(GVB + bad))

    # The first STMTTRN spans lines 17-24; the second's TRNAMT is on line 28.
    assert err.value.line == 28
    assert err.value.field == "TRNAMT"


def test_bad_date_names_the_line_and_field() -> None:
    with pytest.raises(SourceError) as err:
        _parse(_sgml(GVB.replace("<DTPOSTED>20261103", "<DTPOSTED>20261331")))

    assert err.value.line == 19
    assert err.value.field == "DTPOSTED"


def test_unknown_currency() -> None:
    with pytest.raises(SourceError) as err:
        _parse(_sgml(GVB, curdef="EURO"))

    assert err.value.field == "CURDEF"
    assert err.value.line == 14


def test_mismatched_closing_tag_names_the_line() -> None:
    with pytest.raises(SourceError) as err:
        _parse(_sgml(GVB.replace("</STMTTRN>", "</STMTTRX>")))

    assert err.value.line == 24
    assert "STMTTRX" in err.value.message


def test_truncated_file() -> None:
    data = _sgml(GVB)
    with pytest.raises(SourceError) as err:
        _parse(data[: data.index(b"<TRNAMT>") + 5])

    assert err.value.line is not None
    assert "truncated" in err.value.message


def test_not_an_ofx_file() -> None:
    with pytest.raises(SourceError):
        _parse(b"<html><body>Not a statement</body></html>")


def test_ofx_without_a_statement() -> None:
    with pytest.raises(SourceError) as err:
        _parse((HEADER + "<OFX><SIGNONMSGSRSV1></SIGNONMSGSRSV1></OFX>").encode())

    assert "statement" in err.value.message


def test_detect() -> None:
    source = OfxSource()

    assert source.detect((SAMPLES / "ofx_bank_v1.ofx").read_bytes()[:1024])
    assert source.detect((SAMPLES / "ofx_creditcard_v2.ofx").read_bytes()[:1024])
    assert not source.detect(b"transaction_id,status")
