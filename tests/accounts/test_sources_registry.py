"""Format lookup and detection from a file's first bytes."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from accounts.integrations.sources.base import SourceError
from accounts.integrations.sources.csv_source import CSV_TEMPLATE_PATH
from accounts.integrations.sources.registry import SOURCES, detect_format, get_source

SAMPLES = Path(__file__).parent / "samples"

EXPECTED = {
    "plaid_sync_page.json": "plaid",
    "gocardless_transactions.json": "berlin_group",
    "ofx_bank_v1.ofx": "ofx",
    "ofx_creditcard_v2.ofx": "ofx",
    "camt053_v02.xml": "camt053",
    "camt053_v08.xml": "camt053",
    "transactions_semicolon.csv": "csv",
}


def test_all_formats_are_registered_under_their_own_name() -> None:
    assert set(SOURCES) == {"plaid", "berlin_group", "ofx", "camt053", "csv"}
    for name, source in SOURCES.items():
        assert source.format == name
        assert get_source(name) is source


def test_unknown_format_is_a_source_error() -> None:
    with pytest.raises(SourceError) as err:
        get_source("mt940")

    assert "mt940" in err.value.message
    assert err.value.field == "format"


@pytest.mark.parametrize(("filename", "expected"), sorted(EXPECTED.items()))
def test_detects_every_sample(filename: str, expected: str) -> None:
    head = (SAMPLES / filename).read_bytes()[:4096]

    assert detect_format(head) == expected


def test_detects_the_csv_template() -> None:
    assert detect_format(CSV_TEMPLATE_PATH.read_bytes()[:4096]) == "csv"


@pytest.mark.parametrize(("filename", "expected"), sorted(EXPECTED.items()))
def test_detected_source_parses_its_sample(filename: str, expected: str) -> None:
    data = (SAMPLES / filename).read_bytes()

    items = list(get_source(detect_format(data[:4096])).parse(io.BytesIO(data)))

    assert items


@pytest.mark.parametrize(
    "head",
    [b"", b"%PDF-1.7\n", b"datum,naam,bedrag\n2026-11-03,GVB,-3.40\n", b'{"hello": "world"}'],
)
def test_undetectable_input(head: bytes) -> None:
    with pytest.raises(SourceError) as err:
        detect_format(head)

    assert err.value.message.startswith("could not detect the file format; supported are OFX")
