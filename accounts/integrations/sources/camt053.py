"""ISO 20022 camt.053 bank-to-customer statements, versions .001.02 to .001.08 and later.

Matched on local element names, so every version's namespace works (and a missing one). The
file is streamed with lxml ``iterparse`` on ``Ntry`` elements; each entry is cleared and
unlinked once read, so memory stays flat however many entries the file holds.

``Amt`` is unsigned: ``CdtDbtInd`` DBIT makes it negative. ``RvslInd`` true marks a reversal:
its CdtDbtInd points the way the money moved back, so the counterparty is read by the
*original* direction (a reversed card payment is a credit that names the shop as ``Cdtr``).
``Sts`` is a code up to .07 and ``Sts/Cd`` from .08; BOOK -> booked, PDNG/FUTR -> pending,
INFO entries (no money moved) are skipped.

Id: the entry's ``AcctSvcrRef`` (the bank's reference, unique per account), else that of its
one ``TxDtls``, else the fingerprint (booking date, amount, currency, counterparty,
remittance, and the position among identical ones). ``NtryRef`` (some banks number it 1, 2,
3... per file) and ``EndToEndId`` (chosen by the payer) are never ids: a later, different
transaction with the same value would overwrite a booked row.

A batch entry (several ``TxDtls`` that each give their amount) becomes one transaction per
``TxDtls``, with its own party and remittance. Every item carries its statement's account
(``Acct/Id/IBAN`` or ``Acct/Id/Othr/Id``), so the importer can refuse files of several accounts.
camt.053 carries no MCC.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from typing import BinaryIO

from lxml import etree

from accounts.integrations.sources.base import (
    MAX_CATEGORY_LENGTH,
    MAX_NAME_LENGTH,
    NormalisedTransaction,
    OccurrenceCounter,
    SourceError,
    SourceItem,
    account_key,
    clip,
    fit_id,
    parse_amount,
    parse_iso_date,
)
from accounts.integrations.sources.currencies import check_currency

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


class _Node:
    """An ``Ntry`` (or one ``TxDtls``) indexed by local-name path ("RltdPties/Cdtr/Nm") in
    one pass.

    Indexing an entry stops at its ``TxDtls``: they are collected in ``details`` and indexed
    one by one, so that a batch booking's transactions keep their own parties, amounts and
    remittance lines instead of piling them onto the first one.
    """

    __slots__ = ("details", "element", "paths")

    def __init__(self, element: etree._Element, *, split: bool = False) -> None:
        self.element = element
        self.paths: dict[str, list[etree._Element]] = {}
        self.details: list[etree._Element] = []
        self._walk(element, "", split)

    def _walk(self, parent: etree._Element, prefix: str, split: bool) -> None:
        paths = self.paths
        for child in parent:
            tag = child.tag
            if not isinstance(tag, str):
                continue  # comments and processing instructions
            name = tag[tag.rfind("}") + 1 :]
            if split and name == "TxDtls":
                self.details.append(child)
                continue
            path = prefix + name
            found = paths.get(path)
            if found is None:
                paths[path] = [child]
            else:
                found.append(child)
            if len(child):
                self._walk(child, path + "/", split)

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


_NO_DETAILS = _Node(etree.Element("TxDtls"))


class _State:
    """What the parser carries from entry to entry: fingerprints, and the current account."""

    __slots__ = ("account", "counter", "index", "statement")

    def __init__(self) -> None:
        self.counter = OccurrenceCounter()
        self.statement: etree._Element | None = None
        self.account = ""
        self.index = 0

    def enter(self, ntry: etree._Element) -> None:
        """Read the account of the ``Stmt`` holding this entry, once per statement.

        ``Acct`` precedes the entries, and is read before the first entry frees its siblings.
        """
        statement = ntry.getparent()
        if statement is None or statement is self.statement:
            return
        self.statement = statement
        self.account = ""
        for child in statement:
            if _local(child) == "Acct":
                account = _Node(child)
                self.account = account_key(account.text("Id/IBAN") or account.text("Id/Othr/Id"))
                break


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
    state = _State()
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
    try:
        for _event, element in events:
            state.index += 1
            if state.index == 1:
                _check_message(element)
            state.enter(element)
            try:
                items = _entry(element, state)
            finally:
                # Free the entry and everything before it: the tree keeps only the current one.
                element.clear(keep_tail=False)
                parent = element.getparent()
                if parent is not None:
                    while element.getprevious() is not None:
                        del parent[0]
            yield from items
    except etree.XMLSyntaxError as exc:
        line = exc.lineno if exc.lineno else None
        message = exc.msg or str(exc)
        raise SourceError(f"malformed XML: {message}", line=line, where="XML") from None
    if state.index == 0:
        root = events.root
        statement = (
            next((c for c in root if _local(c) in _ROOTS), None) if root is not None else None
        )
        if statement is None:
            raise SourceError("not a camt.053 statement: no BkToCstmrStmt element", line=1)


def _ref(node: _Node, path: str) -> str:
    """A reference, or "" for the placeholders banks write when they have none."""
    value = node.text(path)
    return "" if value.upper() in _PLACEHOLDER_REFS else value


def _entry(ntry: etree._Element, state: _State) -> list[NormalisedTransaction]:
    """The entry's transactions: one, or one per ``TxDtls`` of a batch that gives amounts."""
    entry = _Node(ntry, split=True)
    line = ntry.sourceline
    where = f"Ntry #{state.index}"

    status_code = entry.text("Sts/Cd") or entry.text("Sts/Prtry") or entry.text("Sts")
    if status_code == "INFO":
        return []
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
    indicator = entry.text("CdtDbtInd")
    amount, currency = _money(amt, indicator, entry.line("CdtDbtInd"), where, "")

    booking_date = _date(entry, "BookgDt", where)
    value_date = _date(entry, "ValDt", where)
    if status == "booked" and booking_date is None:
        raise SourceError("BookgDt is missing", line=line, where=where, field="BookgDt")
    reversal = entry.text("RvslInd").lower() in ("true", "1")
    entry_ref = _ref(entry, "AcctSvcrRef")
    entry_category = _bank_code(entry, "BkTxCd/")

    details = [_Node(element) for element in entry.details]
    batch = len(details) > 1 and all(
        d.get("AmtDtls/TxAmt/Amt") is not None or d.get("Amt") is not None for d in details
    )
    if not batch:
        tx = details[0] if details else _NO_DETAILS
        ref = entry_ref or (_ref(tx, "Refs/AcctSvcrRef") if len(details) == 1 else "")
        parts = [(tx, amount, currency, indicator, ref, line)]
    else:
        tx_refs = [_ref(d, "Refs/AcctSvcrRef") for d in details]
        unique = all(tx_refs) and len(set(tx_refs)) == len(tx_refs) and entry_ref not in tx_refs
        parts = []
        for number, tx in enumerate(details, start=1):
            tx_amt = tx.get("AmtDtls/TxAmt/Amt")
            if tx_amt is None:
                tx_amt = tx.get("Amt")
            assert tx_amt is not None  # ``batch`` holds only details with amounts
            tx_indicator = tx.text("CdtDbtInd") or indicator
            tx_where = f"{where} TxDtls #{number}"
            tx_amount, tx_currency = _money(
                tx_amt, tx_indicator, tx.line("CdtDbtInd"), tx_where, "TxDtls/"
            )
            # The bank's own reference per transaction when it gives distinct ones; else the
            # entry's, numbered; else the fingerprint.
            ref = f"{entry_ref}/{number}" if entry_ref else ""
            if unique:
                ref = tx_refs[number - 1]
            parts.append((tx, tx_amount, tx_currency, tx_indicator, ref, tx.element.sourceline))

    items = []
    for tx, tx_amount, tx_currency, tx_indicator, ref, tx_line in parts:
        # The counterparty of the *original* payment: a reversed card payment is a credit
        # that still names the shop as creditor (ISO 20022: with RvslInd, CRDT means the
        # original operation was a debit).
        paid_out = (tx_indicator == "DBIT") != reversal
        first, second = ("Cdtr", "Dbtr") if paid_out else ("Dbtr", "Cdtr")
        merchant = _party_name(tx, first, state.account)
        if not merchant and reversal:
            # Some banks name only the side the money came back from on a reversal.
            merchant = _party_name(tx, second, state.account)
        remittance = " ".join(t for t in tx.texts("RmtInf/Ustrd") if t)
        description = remittance or tx.text("AddtlTxInf") or entry.text("AddtlNtryInf")
        category = entry_category or _bank_code(tx, "BkTxCd/")
        fingerprint = state.counter.fingerprint(
            booking_date=booking_date or value_date,
            amount=tx_amount,
            currency=tx_currency,
            description=f"{merchant} {description}",
        )
        # The payload keeps what the row's columns do not (amount, currency, dates, sign,
        # reversal, category, party and remittance are columns): the entry's line and
        # references, its status code and extra text. (It once also held the entry's XML: a
        # second copy of every column, the widest part of a camt.053 row.)
        raw: dict[str, object] = {
            "line": tx_line,
            "NtryRef": entry.text("NtryRef"),
            "AcctSvcrRef": entry_ref,
            "Sts": status_code,
            "TxRefs": {
                "AcctSvcrRef": tx.text("Refs/AcctSvcrRef"),
                "EndToEndId": tx.text("Refs/EndToEndId"),
            },
            "AddtlNtryInf": entry.text("AddtlNtryInf"),
        }
        if batch:
            raw["Amt"] = amt.text  # the entry's total; the row's amount is its own TxAmt
        items.append(
            NormalisedTransaction(
                provider_txn_id=fit_id(ref) if ref else fingerprint,
                status=status,
                amount=tx_amount,
                currency=tx_currency,
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
                account=state.account,
                origin=f"line {tx_line} ({where})",
            )
        )
    return items


def _money(
    amt: etree._Element, indicator: str, indicator_line: int | None, where: str, prefix: str
) -> tuple[Decimal, str]:
    """The signed amount and currency of an ``Amt`` and its ``CdtDbtInd``."""
    amount = parse_amount(amt.text or "", line=amt.sourceline, where=where, field=prefix + "Amt")
    if amount < 0:
        raise SourceError(
            "Amt must not be negative (the sign is CdtDbtInd)",
            line=amt.sourceline,
            where=where,
            field=prefix + "Amt",
        )
    currency = check_currency(
        amt.get("Ccy"), line=amt.sourceline, where=where, field=prefix + "Amt/@Ccy"
    )
    if indicator == "DBIT":
        amount = -amount
    elif indicator != "CRDT":
        raise SourceError(
            f"CdtDbtInd must be CRDT or DBIT, not {indicator!r}",
            line=indicator_line,
            where=where,
            field=prefix + "CdtDbtInd",
        )
    if not amount:
        amount = amount.copy_abs()
    return amount, currency


def _date(entry: _Node, name: str, where: str) -> date | None:
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


def _party_name(tx: _Node, role: str, own_account: str) -> str:
    """``Cdtr/Nm`` (up to .07) or ``Cdtr/Pty/Nm`` (from .08, where a party can be an agent),
    else the ultimate party; "" when the party's account is the statement's own (the customer
    is never their own merchant)."""
    prefix = f"RltdPties/{role}"
    account = account_key(tx.text(prefix + "Acct/Id/IBAN") or tx.text(prefix + "Acct/Id/Othr/Id"))
    if own_account and account == own_account:
        return ""
    return (
        tx.text(prefix + "/Nm")
        or tx.text(prefix + "/Pty/Nm")
        or tx.text(f"RltdPties/Ultmt{role}/Nm")
        or tx.text(f"RltdPties/Ultmt{role}/Pty/Nm")
    )


def _bank_code(entry: _Node, prefix: str) -> str:
    """``PMNT-CCRD-POSD`` from the ISO domain/family/sub-family, else the bank's own code."""
    parts = [
        entry.text(prefix + "Domn/Cd"),
        entry.text(prefix + "Domn/Fmly/Cd"),
        entry.text(prefix + "Domn/Fmly/SubFmlyCd"),
    ]
    if any(parts):
        return "-".join(p for p in parts if p)
    return entry.text(prefix + "Prtry/Cd")
