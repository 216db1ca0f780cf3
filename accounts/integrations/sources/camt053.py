"""ISO 20022 camt.053 bank-to-customer statements, versions .001.02 to .001.08 and later.

Matched on local element names, so every version's namespace works (and a missing one). The
file is streamed with lxml ``iterparse`` on ``Ntry`` elements; each entry is cleared and
unlinked once read, so memory stays flat however many entries the file holds.

``Amt`` is unsigned: ``CdtDbtInd`` DBIT makes it negative. ``RvslInd`` true marks a reversal
(its CdtDbtInd already points the way the money moved back). ``Sts`` is a code up to .07 and
``Sts/Cd`` from .08; BOOK -> booked, PDNG/FUTR -> pending, INFO entries (no money moved) are
skipped. Id: ``AcctSvcrRef``, else ``NtryRef``, else the first transaction's
``Refs/AcctSvcrRef`` or a real ``EndToEndId`` (not "NOTPROVIDED"), else the fingerprint.
Beware that some banks number ``NtryRef`` per statement (1, 2, 3...), so it is only unique
within one file; the fingerprint is always filled for the importer to fall back on.
camt.053 carries no MCC.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import BinaryIO

from lxml import etree

from accounts.integrations.sources.base import (
    MAX_CATEGORY_LENGTH,
    MAX_NAME_LENGTH,
    NormalisedTransaction,
    OccurrenceCounter,
    SourceError,
    SourceItem,
    clip,
    fit_id,
    parse_amount,
    parse_iso_date,
)
from accounts.integrations.sources.currencies import check_currency

_RAW_XML_LIMIT = 4096
_ROOTS = ("BkToCstmrStmt",)
_OTHER_MESSAGES = {
    "BkToCstmrAcctRpt": "camt.052 account report",
    "BkToCstmrDbtCdtNtfctn": "camt.054 debit/credit notification",
}
_STATUSES = {"BOOK": "booked", "PDNG": "pending", "FUTR": "pending"}
_PLACEHOLDER_REFS = frozenset({"", "NOTPROVIDED", "NONREF", "NONE"})


class Camt053Source:
    """camt.053 XML statements (any .001.xx version)."""

    format = "camt053"

    def detect(self, head: bytes) -> bool:
        return b"camt.053" in head or b"BkToCstmrStmt" in head

    def parse(self, stream: BinaryIO) -> Iterator[SourceItem]:
        return _parse(stream)


class _Entry:
    """One ``Ntry`` indexed by local-name path ("NtryDtls/TxDtls/RmtInf/Ustrd") in one pass.

    Only the first ``TxDtls`` is indexed: a batch booking's further transactions would
    otherwise pile their remittance lines into one description.
    """

    __slots__ = ("element", "paths")

    def __init__(self, element: etree._Element) -> None:
        self.element = element
        self.paths: dict[str, list[etree._Element]] = {}
        self._walk(element, "")

    def _walk(self, parent: etree._Element, prefix: str) -> None:
        paths = self.paths
        for child in parent:
            tag = child.tag
            if not isinstance(tag, str):
                continue  # comments and processing instructions
            name = tag[tag.rfind("}") + 1 :]
            path = prefix + name
            found = paths.get(path)
            if found is None:
                paths[path] = [child]
            elif name == "TxDtls":
                continue
            else:
                found.append(child)
            if len(child):
                self._walk(child, path + "/")

    def get(self, path: str) -> etree._Element | None:
        found = self.paths.get(path)
        return found[0] if found else None

    def text(self, path: str) -> str:
        found = self.paths.get(path)
        return " ".join((found[0].text or "").split()) if found else ""

    def texts(self, path: str) -> list[str]:
        return [" ".join((e.text or "").split()) for e in self.paths.get(path, ())]

    def line(self, path: str) -> int | None:
        found = self.get(path)
        return found.sourceline if found is not None else self.element.sourceline


def _local(element: etree._Element | None) -> str:
    tag = element.tag if element is not None else ""
    return tag[tag.rfind("}") + 1 :] if isinstance(tag, str) else ""


def _check_message(element: etree._Element) -> None:
    """The entry must sit in a camt.053 ``BkToCstmrStmt`` (camt.052/054 look alike)."""
    ancestor = element.getparent()
    while ancestor is not None:
        name = _local(ancestor)
        if name in _ROOTS:
            return
        if name in _OTHER_MESSAGES:
            raise SourceError(
                f"this is a {_OTHER_MESSAGES[name]}, not a camt.053 statement",
                line=ancestor.sourceline,
            )
        ancestor = ancestor.getparent()
    raise SourceError(
        "an Ntry outside BkToCstmrStmt: not a camt.053 statement", line=element.sourceline
    )


def _parse(stream: BinaryIO) -> Iterator[SourceItem]:
    counter = OccurrenceCounter()
    events = etree.iterparse(
        stream,
        events=("end",),
        tag="{*}Ntry",
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )
    index = 0
    try:
        for _event, element in events:
            index += 1
            if index == 1:
                _check_message(element)
            try:
                item = _entry(element, index, counter)
            finally:
                # Free the entry and everything before it: the tree keeps only the current one.
                element.clear(keep_tail=False)
                parent = element.getparent()
                if parent is not None:
                    while element.getprevious() is not None:
                        del parent[0]
            if item is not None:
                yield item
    except etree.XMLSyntaxError as exc:
        line = exc.lineno if exc.lineno else None
        message = exc.msg or str(exc)
        raise SourceError(f"malformed XML: {message}", line=line, where="XML") from None
    if index == 0:
        root = events.root
        statement = (
            next((c for c in root if _local(c) in _ROOTS), None) if root is not None else None
        )
        if statement is None:
            raise SourceError("not a camt.053 statement: no BkToCstmrStmt element", line=1)


def _entry(
    ntry: etree._Element, index: int, counter: OccurrenceCounter
) -> NormalisedTransaction | None:
    entry = _Entry(ntry)
    line = ntry.sourceline
    where = f"Ntry #{index}"

    status_code = entry.text("Sts/Cd") or entry.text("Sts/Prtry") or entry.text("Sts")
    if status_code == "INFO":
        return None
    status = _STATUSES.get(status_code)
    if status is None:
        raise SourceError(
            f"unknown entry status {status_code!r} (expected BOOK or PDNG)",
            line=entry.line("Sts"),
            where=where,
            field="Sts",
        )

    amt = entry.get("Amt")
    if amt is None:
        raise SourceError("Amt is missing", line=line, where=where, field="Amt")
    amount = parse_amount(amt.text or "", line=amt.sourceline, where=where, field="Amt")
    if amount < 0:
        raise SourceError(
            "Amt must not be negative (the sign is CdtDbtInd)",
            line=amt.sourceline,
            where=where,
            field="Amt",
        )
    currency = check_currency(amt.get("Ccy"), line=amt.sourceline, where=where, field="Amt/@Ccy")
    indicator = entry.text("CdtDbtInd")
    if indicator == "DBIT":
        amount = -amount
    elif indicator != "CRDT":
        raise SourceError(
            f"CdtDbtInd must be CRDT or DBIT, not {indicator!r}",
            line=entry.line("CdtDbtInd"),
            where=where,
            field="CdtDbtInd",
        )
    if not amount:
        amount = amount.copy_abs()

    booking_date = _date(entry, "BookgDt", where)
    value_date = _date(entry, "ValDt", where)
    if status == "booked" and booking_date is None:
        raise SourceError("BookgDt is missing", line=line, where=where, field="BookgDt")

    if amount < 0:
        merchant = _party_name(entry, "Cdtr") or _party_name(entry, "UltmtCdtr")
    else:
        merchant = _party_name(entry, "Dbtr") or _party_name(entry, "UltmtDbtr")
    tx = "NtryDtls/TxDtls/"
    remittance = " ".join(t for t in entry.texts(tx + "RmtInf/Ustrd") if t)
    description = remittance or entry.text(tx + "AddtlTxInf") or entry.text("AddtlNtryInf")
    category = _bank_code(entry, "BkTxCd/") or _bank_code(entry, tx + "BkTxCd/")

    candidates = [
        entry.text("AcctSvcrRef"),
        entry.text("NtryRef"),
        entry.text(tx + "Refs/AcctSvcrRef"),
        entry.text(tx + "Refs/EndToEndId"),
    ]
    fingerprint = counter.fingerprint(
        booking_date=booking_date or value_date,
        amount=amount,
        currency=currency,
        description=f"{merchant} {description}",
    )
    txn_id = next(
        (fit_id(ref) for ref in candidates if ref.upper() not in _PLACEHOLDER_REFS), fingerprint
    )
    reversal = entry.text("RvslInd").lower() in ("true", "1")

    raw: dict[str, object] = {
        "line": line,
        "NtryRef": candidates[1],
        "AcctSvcrRef": candidates[0],
        "Amt": amt.text,
        "Ccy": amt.get("Ccy"),
        "CdtDbtInd": indicator,
        "RvslInd": reversal,
        "Sts": status_code,
        "BookgDt": booking_date.isoformat() if booking_date else None,
        "ValDt": value_date.isoformat() if value_date else None,
        "BkTxCd": category,
        "TxRefs": {"AcctSvcrRef": candidates[2], "EndToEndId": candidates[3]},
        "Party": merchant,
        "Ustrd": remittance,
        "AddtlNtryInf": entry.text("AddtlNtryInf"),
        "xml": etree.tostring(ntry, encoding="unicode")[:_RAW_XML_LIMIT],
    }
    return NormalisedTransaction(
        provider_txn_id=txn_id,
        status=status,
        amount=amount,
        currency=currency,
        booking_date=booking_date,
        transaction_date=value_date,
        merchant_name=clip(merchant, MAX_NAME_LENGTH),
        merchant_id="",
        mcc="",
        provider_category=clip(category, MAX_CATEGORY_LENGTH),
        description=description,
        raw=raw,
        is_reversal=reversal,
        fingerprint=fingerprint,
    )


def _date(entry: _Entry, name: str, where: str) -> date | None:
    """``<BookgDt><Dt>`` or ``<BookgDt><DtTm>``; the date as written, not shifted to UTC."""
    day = entry.get(f"{name}/Dt")
    if day is not None:
        return parse_iso_date(day.text or "", line=day.sourceline, where=where, field=f"{name}/Dt")
    moment = entry.get(f"{name}/DtTm")
    if moment is not None:
        return parse_iso_date(
            moment.text or "",
            line=moment.sourceline,
            where=where,
            field=f"{name}/DtTm",
            allow_datetime=True,
        )
    return None


def _party_name(entry: _Entry, role: str) -> str:
    """``Cdtr/Nm`` (up to .07) or ``Cdtr/Pty/Nm`` (from .08, where a party can be an agent)."""
    prefix = f"NtryDtls/TxDtls/RltdPties/{role}/"
    return entry.text(prefix + "Nm") or entry.text(prefix + "Pty/Nm")


def _bank_code(entry: _Entry, prefix: str) -> str:
    """``PMNT-CCRD-POSD`` from the ISO domain/family/sub-family, else the bank's own code."""
    parts = [
        entry.text(prefix + "Domn/Cd"),
        entry.text(prefix + "Domn/Fmly/Cd"),
        entry.text(prefix + "Domn/Fmly/SubFmlyCd"),
    ]
    if any(parts):
        return "-".join(p for p in parts if p)
    return entry.text(prefix + "Prtry/Cd")
