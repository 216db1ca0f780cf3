"""Merchant-name normalisation.

Shared by the importers (which store it) and the rules (which match it).
"""

from __future__ import annotations

import re
import unicodedata

_LEGAL_SUFFIXES = re.compile(r"\b(b\.?v\.?|n\.?v\.?|gmbh|ltd|inc|llc|s\.?a\.?|plc|ag)\b\.?")
_NOISE = re.compile(r"[^a-z0-9 ]+")
_STORE_NUMBER = re.compile(r"\b\d{2,}\b")


def normalise_merchant(name: str) -> str:
    """Lower-case, strip accents, legal suffixes, store numbers and punctuation.

    "Albert Heijn 1234 B.V." -> "albert heijn"; "OV-fiets" -> "ov fiets"; "Kringloop Éénhoorn" ->
    "kringloop eenhoorn". The result is what rule merchant allow-lists contain.
    """
    text = unicodedata.normalize("NFKD", name or "")
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).lower()
    text = _LEGAL_SUFFIXES.sub(" ", text)
    text = _NOISE.sub(" ", text)
    text = _STORE_NUMBER.sub(" ", text)
    return " ".join(text.split())
