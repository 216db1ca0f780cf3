"""OFX 1.x (SGML) and 2.x (XML) / QFX bank and credit-card statements.

A small tokenizer of our own instead of ``ofxtools`` (which is installed): ofxtools reads the
whole file, reports errors as character offsets or bare ``decimal.InvalidOperation`` with no
position, rejects current currencies its ISO 4217 table lacks (ZMW, BYN, MRU...), insists on a
sign-on block, and silently accepts a mismatched closing tag. This reader streams the file
line by line, names the line of every error, and reads SGML (unclosed element tags) and XML
with the same state machine, because OFX 2.x is OFX 1.x with every tag closed.

Mapping: FITID -> id, DTPOSTED -> booking date, DTUSER -> transaction date, TRNAMT (already
signed from the customer's side) -> amount, NAME (or PAYEE/NAME, EXTDNAME) -> merchant,
MEMO (or NAME when there is no memo) -> description, SIC -> MCC when it is four digits,
TRNTYPE -> provider category. The currency is CURDEF unless the transaction has a CURRENCY
aggregate; an ORIGCURRENCY aggregate means the amount was *already converted* to CURDEF
(OFX spec 5.2), so it does not change the currency. CORRECTACTION DELETE/REPLACE become a
removal of CORRECTFITID. Every transaction also gets a fingerprint, because some banks rotate
FITIDs between downloads. Pending lists (BANKTRANLISTP) and investment statements are
ignored; a file with only an investment statement is refused, naming it, and a STATUS with
SEVERITY ERROR (a refused sign-on or statement request) is refused with the bank's own
MESSAGE. Every item carries its statement's ACCTID, so the importer can refuse files of
several accounts.

Text is decoded line by line as UTF-8, falling back to the header's single-byte charset
(cp1252 by default): many banks declare USASCII/1252 and send UTF-8, or the other way round.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import BinaryIO

from accounts.integrations.sources.base import (
    MAX_CATEGORY_LENGTH,
    MAX_NAME_LENGTH,
    NormalisedTransaction,
    OccurrenceCounter,
    RemovedTransaction,
    SourceError,
    SourceItem,
    account_key,
    clip,
    fit_id,
    parse_amount,
)
from accounts.integrations.sources.currencies import check_currency
from accounts.integrations.sources.ofx_tokens import Token, text_pieces, tokens, unescape

_STATEMENTS = frozenset({"STMTRS", "CCSTMTRS"})
_TRANSACTION = "STMTTRN"
# STMTTRN fields stored as the row's columns (amount, dates, names, MCC, category, currency,
# id): a row's raw payload leaves them out.
_COLUMN_FIELDS = frozenset(
    {"TRNAMT", "DTPOSTED", "DTUSER", "NAME", "PAYEE.NAME", "EXTDNAME", "MEMO", "SIC", "TRNTYPE",
     "FITID", "CURRENCY.CURSYM"}
)  # fmt: skip
# Elements (data-bearing, end tag optional in SGML). Knowing them lets an *empty* SGML element
# such as "<MEMO><FITID>1" be read as empty instead of swallowing its siblings.
_LEAF_NAMES = """
TRNTYPE DTPOSTED DTUSER DTAVAIL TRNAMT FITID CORRECTFITID CORRECTACTION SRVRTID CHECKNUM
REFNUM SIC PAYEEID NAME EXTDNAME MEMO INV401KSOURCE CURRATE CURSYM CURDEF BANKID BRANCHID
ACCTID ACCTTYPE ACCTKEY DTSTART DTEND BALAMT DTASOF CODE SEVERITY MESSAGE DTSERVER LANGUAGE
DTPROFUP DTACCTUP ORG FID TRNUID CLTCOOKIE ADDR1 ADDR2 ADDR3 CITY STATE POSTALCODE COUNTRY
PHONE MKTGINFO SESSCOOKIE ACCESSKEY USERKEY TSKEYEXPIRE DTEXPIRE DTTRAN
"""
_LEAVES = frozenset(_LEAF_NAMES.split())
# Status codes of the OFX spec (section 3.1.4 and 8.x), for a STATUS without a MESSAGE.
_STATUS_CODES = {
    "2000": "general error",
    "2003": "account not found",
    "15000": "you must change your password (USERPASS)",
    "15500": "sign-on invalid: check the user id and password",
    "15502": "invalid password (USERPASS)",
}
_OFX_DATE = re.compile(
    r"(\d{8})(?:\d{4}(?:\d{2}(?:\.\d{1,6})?)?)?\s*(?:\[[^\]]{0,16}\])?", re.ASCII
)


class OfxSource:
    """OFX / QFX statement files (bank and credit card)."""

    format = "ofx"

    def detect(self, head: bytes) -> bool:
        upper = head[:4096].upper()
        return b"OFXHEADER" in upper or b"<OFX>" in upper

    def parse(self, stream: BinaryIO) -> Iterator[SourceItem]:
        return _OfxReader().read(stream)


# --- The OFX state machine --------------------------------------------------------------------


@dataclass(slots=True)
class _Statement:
    currency: str = ""
    currency_line: int | None = None
    account: str = ""  # BANKACCTFROM/ACCTID or CCACCTFROM/ACCTID, as ``account_key`` writes it


@dataclass(slots=True)
class _Txn:
    line: int
    fields: dict[str, tuple[str, int]] = field(default_factory=dict)

    def get(self, path: str) -> str:
        return self.fields.get(path, ("", 0))[0]

    def line_of(self, path: str) -> int:
        return self.fields.get(path, ("", self.line))[1]


class _OfxReader:
    def __init__(self) -> None:
        self.stack: list[str] = []
        self.statement: _Statement | None = None
        self.txn: _Txn | None = None
        self.txn_depth = 0
        self.statements_seen = 0
        self.investment_line: int | None = None  # where an INVSTMTRS starts
        self.status: dict[str, tuple[str, int]] = {}  # the STATUS aggregate being read
        self.counter = OccurrenceCounter()

    def read(self, stream: BinaryIO) -> Iterator[SourceItem]:
        pending: Token | None = None  # a start tag whose content is not known yet
        last_leaf = ""  # the element whose optional end tag may follow
        seen_root = False
        closed_root = False
        line = 1
        for token in tokens(text_pieces(stream)):
            line = token.line
            if closed_root:
                continue  # whatever follows </OFX> (padding, NULs) is not ours
            if not seen_root:
                if token.kind == "text":
                    continue  # the OFX 1.x header block
                if token.kind != "start" or token.value != "OFX":
                    raise SourceError(
                        f"not an OFX file: expected <OFX>, found <{token.value}>",
                        line=token.line,
                    )
                seen_root = True
            if token.kind in ("text", "cdata"):
                if pending is None:
                    if token.kind == "text":
                        raise SourceError(
                            f"unexpected text {token.value.strip()[:40]!r}", line=token.line
                        )
                    continue
                value = token.value if token.kind == "cdata" else unescape(token.value)
                self._leaf(pending.value, value.strip(), pending.line)
                last_leaf, pending = pending.value, None
                continue
            if pending is not None:
                if token.kind == "end" and token.value == pending.value:
                    self._leaf(pending.value, "", pending.line)  # <MEMO></MEMO>
                    pending = None
                    continue
                if pending.value in _LEAVES:
                    self._leaf(pending.value, "", pending.line)  # SGML empty element
                else:
                    self._open(pending.value, pending.line)
                pending = None
            if token.kind == "start":
                pending, last_leaf = token, ""
            elif token.kind == "empty":
                self._leaf(token.value, "", token.line)
                last_leaf = ""
            else:  # end
                if token.value == last_leaf:
                    last_leaf = ""
                    continue
                last_leaf = ""
                if token.value not in self.stack:
                    raise SourceError(
                        f"closing tag </{token.value}> has no opening tag", line=token.line
                    )
                while self.stack:
                    name = self.stack[-1]
                    yield from self._close(name, token.line)
                    if name == token.value:
                        break
                if not self.stack:
                    closed_root = True
        if not seen_root:
            raise SourceError("not an OFX file: no <OFX> element", line=1)
        if pending is not None or self.stack:
            open_name = self.stack[-1] if self.stack else pending.value  # type: ignore[union-attr]
            raise SourceError(f"the file ends inside <{open_name}> (truncated?)", line=line)
        if self.statements_seen == 0:
            if self.investment_line is not None:
                raise SourceError(
                    "this is an OFX investment statement (INVSTMTRS), which Canopy does not "
                    "import; upload a bank or credit-card statement (STMTRS, CCSTMTRS)",
                    line=self.investment_line,
                )
            raise SourceError("no bank or credit-card statement (STMTRS/CCSTMTRS) in the file")

    def _open(self, name: str, line: int) -> None:
        self.stack.append(name)
        if name in _STATEMENTS:
            self.statement = _Statement()
            self.statements_seen += 1
        elif name == "STATUS":
            self.status = {}
        elif name == "INVSTMTRS" and self.investment_line is None:
            self.investment_line = line
        elif name == _TRANSACTION and self.statement is not None and self.txn is None:
            self.txn = _Txn(line=line)
            self.txn_depth = len(self.stack)

    def _close(self, name: str, line: int) -> Iterator[SourceItem]:
        if self.txn is not None and len(self.stack) == self.txn_depth:
            txn, self.txn = self.txn, None
            yield from self._finish(txn)
        elif name in _STATEMENTS:
            self.statement = None
        elif name == "STATUS" and self.txn is None:
            self._check_status(line)
        self.stack.pop()

    def _check_status(self, line: int) -> None:
        """A sign-on or statement response the bank refused: its own message, not ours."""
        code, code_line = self.status.get("CODE", ("", line))
        severity = self.status.get("SEVERITY", ("", line))[0].upper()
        if severity != "ERROR" or code in ("", "0"):
            return
        message = self.status.get("MESSAGE", ("", line))[0] or _STATUS_CODES.get(code, "")
        parent = self.stack[-2] if len(self.stack) > 1 else ""
        answer = "sign-on" if parent == "SONRS" else "statement request"
        raise SourceError(
            f"the bank refused the {answer}: {message or 'no message'} (OFX status {code}); "
            "the file holds no transactions",
            line=code_line,
            where=f"{parent}/STATUS" if parent else "STATUS",
            field="CODE",
        )

    def _leaf(self, name: str, value: str, line: int) -> None:
        if self.txn is not None:
            path = ".".join([*self.stack[self.txn_depth :], name])
            self.txn.fields.setdefault(path, (value, line))
        elif name == "ACCTID" and self.statement is not None and self.stack:
            if self.stack[-1] in ("BANKACCTFROM", "CCACCTFROM") and not self.statement.account:
                self.statement.account = account_key(value)
        elif self.stack and self.stack[-1] == "STATUS":
            self.status.setdefault(name, (value, line))
        elif (
            name == "CURDEF"
            and self.statement is not None
            and self.stack
            and self.stack[-1] in _STATEMENTS
        ):
            self.statement.currency = value
            self.statement.currency_line = line

    def _finish(self, txn: _Txn) -> Iterator[SourceItem]:
        action = txn.get("CORRECTACTION").upper()
        corrected = txn.get("CORRECTFITID")
        if action in ("DELETE", "REPLACE") and corrected:
            yield RemovedTransaction(
                provider_txn_id=fit_id(corrected),
                account=self.statement.account if self.statement else "",
            )
            if action == "DELETE":
                return
        yield self._transaction(txn)

    def _transaction(self, txn: _Txn) -> NormalisedTransaction:
        statement = self.statement or _Statement()
        amount = _ofx_amount(txn)
        if txn.get("CURRENCY.CURSYM"):
            currency = check_currency(
                txn.get("CURRENCY.CURSYM"), line=txn.line_of("CURRENCY.CURSYM"), field="CURSYM"
            )
        elif statement.currency:
            currency = check_currency(
                statement.currency, line=statement.currency_line, field="CURDEF"
            )
        else:
            raise SourceError("the statement has no CURDEF", line=txn.line, field="CURDEF")
        if not txn.get("DTPOSTED"):
            raise SourceError("DTPOSTED is missing", line=txn.line, field="DTPOSTED")
        booking_date = _ofx_date(txn, "DTPOSTED")
        transaction_date = _ofx_date(txn, "DTUSER") if txn.get("DTUSER") else None
        name = txn.get("NAME") or txn.get("PAYEE.NAME") or txn.get("EXTDNAME")
        memo = txn.get("MEMO")
        sic = txn.get("SIC")
        fingerprint = self.counter.fingerprint(
            booking_date=booking_date,
            amount=amount,
            currency=currency,
            description=f"{name} {memo}",
        )
        # The payload keeps what the row's columns do not: the line and the fields Canopy does
        # not read (CHECKNUM, REFNUM, PAYEEID, ...); FITID only where the id is its hash.
        raw: dict[str, object] = {
            path: value for path, (value, _line) in txn.fields.items() if path not in _COLUMN_FIELDS
        }
        raw["_line"] = txn.line
        fitid = txn.get("FITID")
        if fitid and fit_id(fitid) != fitid:
            raw["FITID"] = fitid
        return NormalisedTransaction(
            provider_txn_id=fit_id(txn.get("FITID")) if txn.get("FITID") else fingerprint,
            status="booked",
            amount=amount,
            currency=currency,
            booking_date=booking_date,
            transaction_date=transaction_date,
            merchant_name=clip(name, MAX_NAME_LENGTH),
            merchant_id="",
            mcc=sic if len(sic) == 4 and sic.isdigit() and sic.isascii() else "",
            provider_category=clip(txn.get("TRNTYPE").upper(), MAX_CATEGORY_LENGTH),
            description=memo or name,
            raw=raw,
            fingerprint=fingerprint,
            account=statement.account,
            origin=f"line {txn.line}",
        )


def _ofx_amount(txn: _Txn) -> Decimal:
    text = txn.get("TRNAMT")
    line = txn.line_of("TRNAMT")
    if not text:
        raise SourceError("TRNAMT is missing", line=line, field="TRNAMT")
    if "," in text and "." not in text and text.count(",") == 1:
        text = text.replace(",", ".")  # OFX allows a decimal comma (European banks use it)
    return parse_amount(text, line=line, field="TRNAMT")


def _ofx_date(txn: _Txn, path: str) -> date:
    """The calendar date of an OFX datetime, as written (its own time zone, not UTC)."""
    text = txn.get(path)
    line = txn.line_of(path)
    match = _OFX_DATE.fullmatch(text)
    if match is None:
        raise SourceError(
            f"not a valid OFX date (expected YYYYMMDD[HHMMSS[.XXX]][[tz]]): {text[:40]!r}",
            line=line,
            field=path,
        )
    digits = match.group(1)
    try:
        return date(int(digits[:4]), int(digits[4:6]), int(digits[6:8]))
    except ValueError as exc:
        raise SourceError(f"not a valid date: {text!r} ({exc})", line=line, field=path) from None
