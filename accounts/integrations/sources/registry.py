"""Which source reads which file: lookup by format name, and detection from a file's first bytes."""

from __future__ import annotations

from accounts.integrations.sources.base import Source, SourceError
from accounts.integrations.sources.berlin_group import BerlinGroupSource
from accounts.integrations.sources.camt053 import Camt053Source
from accounts.integrations.sources.csv_source import CsvSource
from accounts.integrations.sources.ofx import OfxSource
from accounts.integrations.sources.plaid import GET_RESPONSE_MARKERS, PlaidSource

SOURCES: dict[str, Source] = {
    source.format: source
    for source in (
        PlaidSource(),
        BerlinGroupSource(),
        OfxSource(),
        Camt053Source(),
        CsvSource(),
    )
}

# Most specific first: the Berlin Group markers never occur in a Plaid page, while Plaid's
# could occur in other JSON; OFX and camt.053 before CSV, whose test is the loosest.
_DETECTION_ORDER = ("berlin_group", "plaid", "ofx", "camt053", "csv")


def get_source(format: str) -> Source:
    """The source for a format name, or SourceError listing the known ones."""
    try:
        return SOURCES[format]
    except (KeyError, TypeError):
        known = ", ".join(sorted(SOURCES))
        raise SourceError(f"unknown format {format!r} (known: {known})", field="format") from None


SUPPORTED = (
    "supported are OFX/QFX bank and credit-card statements, camt.053 statements, Canopy CSV, "
    "Plaid /transactions/sync pages and Berlin Group transaction lists (GoCardless, Enable "
    "Banking)"
)

# Files we recognise but do not import, and their names: checked before detection, so that
# (say) a one-line Plaid /transactions/get JSON is not taken for a CSV header.
_KNOWN_UNSUPPORTED: tuple[tuple[tuple[bytes, ...], str], ...] = (
    ((b"BkToCstmrAcctRpt", b"camt.052."), "a camt.052 account report"),
    ((b"BkToCstmrDbtCdtNtfctn", b"camt.054."), "a camt.054 debit/credit notification"),
    (GET_RESPONSE_MARKERS, "a Plaid /transactions/get response"),
)


def unsupported_kind(head: bytes) -> str:
    """What a recognised but unsupported file is ("a camt.052 account report"), else "".

    OFX investment statements are detected as OFX; the OFX reader names them.
    """
    for markers, kind in _KNOWN_UNSUPPORTED:
        if any(marker in head for marker in markers):
            return kind
    return ""


def detect_format(head: bytes) -> str:
    """The format name of a file from its first bytes (a few kB are plenty)."""
    kind = unsupported_kind(head)
    if kind:
        raise SourceError(f"this is {kind}, which Canopy does not import; {SUPPORTED}")
    for name in _DETECTION_ORDER:
        if SOURCES[name].detect(head):
            return name
    raise SourceError(f"could not detect the file format; {SUPPORTED}")
