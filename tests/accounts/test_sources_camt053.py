"""camt.053 statements (.001.02 and .001.08): mapping, reversals, pending, errors, memory."""

from __future__ import annotations

import io
import json
import sys
import tracemalloc
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from accounts.integrations.sources.base import SourceError
from accounts.integrations.sources.camt053 import Camt053Source

SAMPLES = Path(__file__).parent / "samples"


def _parse_file(name: str) -> list:
    with (SAMPLES / name).open("rb") as stream:
        return list(Camt053Source().parse(stream))


def _document(entries: str, version: str = "08") -> bytes:
    """A statement whose first entry starts on line 4."""
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.{version}">\n'
        "<BkToCstmrStmt><GrpHdr><MsgId>M1</MsgId></GrpHdr><Stmt><Id>S1</Id>\n"
        f"{entries}"
        "</Stmt></BkToCstmrStmt></Document>\n"
    ).encode()


def _ntry(
    amount: str = "3.40",
    ccy: str = "EUR",
    indicator: str = "DBIT",
    booked: str = "2026-11-08",
) -> str:
    return (
        "<Ntry>\n"
        f'<Amt Ccy="{ccy}">{amount}</Amt>\n'
        f"<CdtDbtInd>{indicator}</CdtDbtInd>\n"
        "<Sts><Cd>BOOK</Cd></Sts>\n"
        f"<BookgDt><Dt>{booked}</Dt></BookgDt>\n"
        "<AcctSvcrRef>REF-1</AcctSvcrRef>\n"
        "<NtryDtls><TxDtls><RltdPties><Cdtr><Pty><Nm>GVB</Nm></Pty></Cdtr></RltdPties>"
        "</TxDtls></NtryDtls>\n"
        "</Ntry>\n"
    )


def _parse(data: bytes) -> list:
    return list(Camt053Source().parse(io.BytesIO(data)))


def test_version_02_statement() -> None:
    items = _parse_file("camt053_v02.xml")

    # The INFO entry (a verification cent) is skipped.
    assert len(items) == 6
    ns, ah, reversal, vinted, gvb, pending = items

    assert ns.provider_txn_id == "20261108-0000451"  # AcctSvcrRef wins over NtryRef
    assert ns.amount == Decimal("-12.40")
    assert ns.currency == "EUR"
    assert ns.status == "booked"
    assert ns.booking_date == date(2026, 11, 8)
    assert ns.transaction_date == date(2026, 11, 8)
    assert ns.merchant_name == "NS GROEP IZ NS REIZIGERS"
    assert ns.description == "BETAALAUTOMAAT 08.11.26 AMSTERDAM CENTRAAL PAS 123"
    assert ns.provider_category == "PMNT-CCRD-POSD"
    assert ns.mcc == ""
    assert ns.is_reversal is False

    assert ah.provider_category == "541"  # proprietary code when there is no ISO domain
    assert ah.description == "Betaalautomaat 17:42 pasnr. 123 AH Utrecht Vredenburg"

    assert reversal.is_reversal is True
    assert reversal.amount == Decimal("37.15")
    assert reversal.merchant_name == "Albert Heijn 1021"  # Dbtr on a credit

    # No entry-level reference: the transaction's AcctSvcrRef.
    assert vinted.provider_txn_id == "SCT-20261108-77120"
    assert vinted.amount == Decimal("18.00")
    assert vinted.merchant_name == "Vinted UAB"

    # Only a NOTPROVIDED EndToEndId: the fingerprint is the id.
    assert gvb.provider_txn_id == gvb.fingerprint
    assert gvb.provider_txn_id.startswith("fp:")

    assert pending.status == "pending"
    assert pending.booking_date is None
    assert pending.transaction_date == date(2026, 11, 9)
    assert pending.merchant_name == "Kringloopwinkel De Lindenberg"


def test_version_08_statement() -> None:
    shell, klm, reversal, ov_fiets = _parse_file("camt053_v08.xml")

    assert shell.provider_txn_id == "2026110900017001"
    assert shell.merchant_name == "Shell Station A12 De Meern"  # Cdtr/Pty/Nm
    assert shell.booking_date == date(2026, 11, 9)  # from BookgDt/DtTm, as written
    assert shell.amount == Decimal("-68.90")

    assert klm.amount == Decimal("-289.00")
    assert klm.provider_category == "PMNT-ICDT-ESCT"
    assert reversal.is_reversal is True
    assert reversal.amount == Decimal("289.00")
    assert reversal.merchant_name == "KLM Royal Dutch Airlines"

    assert ov_fiets.status == "pending"  # Sts/Cd
    assert ov_fiets.provider_txn_id.startswith("fp:")


def test_raw_is_json_serialisable_and_keeps_what_the_columns_do_not() -> None:
    items = _parse_file("camt053_v02.xml")

    json.dumps([i.raw for i in items])
    assert items[0].raw["AcctSvcrRef"] == "20261108-0000451"
    assert isinstance(items[0].raw["line"], int)
    # amount, dates, party and remittance are the row's columns, not a second copy
    assert not {"xml", "Amt", "BookgDt", "Party", "Ustrd"} & set(items[0].raw)
    assert all(i.fingerprint.startswith("fp:") for i in items)


@pytest.mark.parametrize(
    "namespace", ["", ' xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.04"']
)
def test_namespace_agnostic(namespace: str) -> None:
    data = _document(_ntry()).replace(
        b' xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"', namespace.encode()
    )

    (item,) = _parse(data)

    assert item.amount == Decimal("-3.40")
    assert item.merchant_name == "GVB"


def test_malformed_xml_names_the_line_and_element() -> None:
    data = _document(_ntry() + _ntry().replace("</CdtDbtInd>", "</CdtDbtIndicator>"))

    with pytest.raises(SourceError) as err:
        _parse(data)

    assert err.value.line == 14
    assert "CdtDbtInd" in err.value.message


def test_bad_amount_names_line_and_field() -> None:
    with pytest.raises(SourceError) as err:
        _parse(_document(_ntry(amount="3.4.0")))

    assert err.value.line == 5
    assert err.value.field == "Amt"
    assert err.value.where == "Ntry #1"


def test_negative_amount_is_rejected() -> None:
    with pytest.raises(SourceError) as err:
        _parse(_document(_ntry(amount="-3.40")))

    assert err.value.field == "Amt"


def test_unknown_currency() -> None:
    with pytest.raises(SourceError) as err:
        _parse(_document(_ntry(ccy="EURO")))

    assert err.value.field == "Amt/@Ccy"
    assert err.value.line == 5


def test_bad_date() -> None:
    with pytest.raises(SourceError) as err:
        _parse(_document(_ntry(booked="2026-13-01")))

    assert err.value.field == "BookgDt/Dt"
    assert err.value.line == 8


def test_bad_credit_debit_indicator() -> None:
    with pytest.raises(SourceError) as err:
        _parse(_document(_ntry(indicator="DEBIT")))

    assert err.value.field == "CdtDbtInd"


def test_camt052_report_is_refused() -> None:
    data = _document(_ntry()).replace(b"BkToCstmrStmt", b"BkToCstmrAcctRpt")

    with pytest.raises(SourceError) as err:
        _parse(data)

    assert "camt.052" in err.value.message


def test_empty_statement_is_fine_but_other_xml_is_not() -> None:
    assert _parse(_document("")) == []
    with pytest.raises(SourceError):
        _parse(b"<?xml version='1.0'?><rss><channel/></rss>")


def test_detect() -> None:
    source = Camt053Source()

    assert source.detect((SAMPLES / "camt053_v02.xml").read_bytes()[:1024])
    assert source.detect((SAMPLES / "camt053_v08.xml").read_bytes()[:1024])
    assert not source.detect(b"OFXHEADER:100")


def _write_large_statement(path: Path, entries: int) -> None:
    start = date(2026, 1, 1)
    with path.open("w", encoding="utf-8") as out:
        out.write(_document("").decode().split("</Stmt>")[0])
        for n in range(entries):
            day = (start + timedelta(days=n // 200)).isoformat()
            out.write(
                f'<Ntry><Amt Ccy="EUR">{n % 97 + 1}.{n % 100:02d}</Amt>'
                f"<CdtDbtInd>DBIT</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts>"
                f"<BookgDt><Dt>{day}</Dt></BookgDt><AcctSvcrRef>R{n}</AcctSvcrRef>"
                "<NtryDtls><TxDtls><RltdPties><Cdtr><Pty><Nm>GVB</Nm></Pty></Cdtr></RltdPties>"
                f"<RmtInf><Ustrd>OV-chipkaart reis {n}</Ustrd></RmtInf></TxDtls></NtryDtls>"
                "</Ntry>\n"
            )
        out.write("</Stmt></BkToCstmrStmt></Document>\n")


def _resident_bytes() -> int | None:
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * 4096
    except OSError:
        return None


def test_large_statement_is_streamed_in_flat_memory(tmp_path: Path) -> None:
    """50,000 entries: neither Python objects nor lxml's tree may grow with the file.

    lxml's tree lives in C memory that tracemalloc cannot see, so resident memory is sampled
    too (on Linux): without clearing each entry the tree grows by ~150 MB here.
    tracemalloc runs over the last 2,000 entries only, because tracing every allocation is
    slow; retained entries would show there as a steadily rising traced size.
    """
    entries = 50_000
    path = tmp_path / "large.xml"
    _write_large_statement(path, entries)

    count = 0
    rss_samples: list[int] = []
    traced_at_window_start = 0
    rss_start: int | None = None
    with path.open("rb") as stream:
        for _item in Camt053Source().parse(stream):
            count += 1
            if count == 1:
                rss_start = _resident_bytes()
            if count % 5_000 == 0:
                rss = _resident_bytes()
                if rss is not None:
                    rss_samples.append(rss)
            if count == entries - 2_000:
                tracemalloc.start()
                traced_at_window_start = tracemalloc.get_traced_memory()[0]
        traced_now, traced_peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()

    assert count == entries
    assert traced_peak < 3 * 1024 * 1024
    assert traced_now - traced_at_window_start < 512 * 1024
    if rss_start is not None and sys.platform.startswith("linux"):
        assert max(rss_samples) - rss_start < 25 * 1024 * 1024


def test_the_counterparty_follows_the_original_direction() -> None:
    """A reversal (RvslInd) of a card payment names the shop as Cdtr; a plain credit's
    counterparty is its Dbtr, never the Cdtr (the customer)."""
    parties = (
        "<Dbtr><Nm>Klant</Nm></Dbtr><DbtrAcct><Id><IBAN>NL44RABO0123456789</IBAN></Id>"
        "</DbtrAcct><Cdtr><Nm>Vinted</Nm></Cdtr>"
    )
    reversal = (
        _ntry(indicator="CRDT")
        .replace("<Sts>", "<RvslInd>true</RvslInd><Sts>")
        .replace("<Cdtr><Pty><Nm>GVB</Nm></Pty></Cdtr>", parties)
    )
    credit = _ntry(indicator="CRDT").replace("REF-1", "REF-2")
    statement = _document(reversal + credit).replace(
        b"<Stmt><Id>S1</Id>",
        b"<Stmt><Id>S1</Id><Acct><Id><IBAN>NL44RABO0123456789</IBAN></Id></Acct>",
    )

    back, plain = _parse(statement)

    assert (back.merchant_name, back.amount, back.is_reversal) == ("Vinted", Decimal("3.40"), True)
    assert back.account == "NL44RABO0123456789"
    assert plain.merchant_name == ""
