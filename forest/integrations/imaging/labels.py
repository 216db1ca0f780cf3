"""The certificate's wording in English and Dutch, and how it writes dates and coordinates."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class _Labels:
    title: str
    intro: str
    species: str
    forest: str
    sponsor: str
    location: str
    planted: str
    verified: str
    number: str
    verify: str
    pending: str
    not_recorded: str
    and_word: str
    more: str  # format string with {n}
    months: tuple[str, ...]


_LABELS: dict[str, _Labels] = {
    "en": _Labels(
        title="Certificate of planting",
        intro="This certifies that a real tree has been planted on behalf of",
        species="Species",
        forest="Forest",
        sponsor="Sponsored by",
        location="Location",
        planted="Planted on",
        verified="Verified on",
        number="Certificate no.",
        verify="Verify this certificate at",
        pending="pending",
        not_recorded="not recorded",
        and_word="and",
        more="+{n} more",
        months=(
            "January",
            "February",
            "March",
            "April",
            "May",
            "June",
            "July",
            "August",
            "September",
            "October",
            "November",
            "December",
        ),
    ),
    "nl": _Labels(
        title="Certificaat van aanplant",
        intro="Hiermee wordt bevestigd dat er een echte boom is geplant namens",
        species="Boomsoort",
        forest="Bos",
        sponsor="Gesponsord door",
        location="Locatie",
        planted="Geplant op",
        verified="Geverifieerd op",
        number="Certificaatnr.",
        verify="Controleer dit certificaat op",
        pending="in afwachting",
        not_recorded="niet vastgelegd",
        and_word="en",
        more="+{n} anderen",
        months=(
            "januari",
            "februari",
            "maart",
            "april",
            "mei",
            "juni",
            "juli",
            "augustus",
            "september",
            "oktober",
            "november",
            "december",
        ),
    ),
}


def _language(locale: str) -> str:
    """Map 'nl', 'nl-NL', 'nl_BE' to 'nl'; anything unknown falls back to English."""
    lang = (locale or "en").replace("_", "-").split("-")[0].lower()
    return lang if lang in _LABELS else "en"


def format_coordinates(latitude: float | None, longitude: float | None) -> str | None:
    """'52.37403° N, 4.88969° E' (5 decimals is about a metre); None when either is missing."""
    if latitude is None or longitude is None:
        return None
    lat, lon = float(latitude), float(longitude)
    if not (-90.0 <= lat <= 90.0 and -180.0 <= lon <= 180.0):  # also rejects NaN
        raise ValueError(f"coordinates out of range: {latitude!r}, {longitude!r}")
    ns = "N" if lat >= 0 else "S"
    ew = "E" if lon >= 0 else "W"
    return f"{abs(lat):.5f}° {ns}, {abs(lon):.5f}° {ew}"


def _format_date(value: date | None, labels: _Labels) -> str:
    if value is None:
        return labels.pending
    return f"{value.day} {labels.months[value.month - 1]} {value.year}"
