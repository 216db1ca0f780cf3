"""Which source reads which file: lookup by format name, and detection from a file's first bytes."""

from __future__ import annotations

from accounts.integrations.sources.base import Source, SourceError
from accounts.integrations.sources.berlin_group import BerlinGroupSource
from accounts.integrations.sources.camt053 import Camt053Source
from accounts.integrations.sources.csv_source import CsvSource
from accounts.integrations.sources.ofx import OfxSource
from accounts.integrations.sources.plaid import PlaidSource

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


def detect_format(head: bytes) -> str:
    """The format name of a file from its first bytes (a few kB are plenty)."""
    for name in _DETECTION_ORDER:
        if SOURCES[name].detect(head):
            return name
    raise SourceError("could not detect the file format")
