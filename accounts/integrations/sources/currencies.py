"""ISO 4217 currency codes, so every source rejects a currency the rest of Canopy cannot price.

``ISO_4217`` is List One ("current currency & funds") as published by the ISO 4217 maintenance
agency (SIX) on 2026-01-01: it includes the newer codes (XCG, ZWG, VED, SLE, XAD) and leaves
out withdrawn ones (ANG, BGN, CUC, HRK, SLL, ZWL). Refresh it when SIX publishes a new list.
"""

from __future__ import annotations

from accounts.integrations.sources.base import SourceError

# fmt: off
ISO_4217: frozenset[str] = frozenset({
    "AED", "AFN", "ALL", "AMD", "AOA", "ARS", "AUD", "AWG", "AZN", "BAM", "BBD", "BDT",
    "BHD", "BIF", "BMD", "BND", "BOB", "BOV", "BRL", "BSD", "BTN", "BWP", "BYN", "BZD",
    "CAD", "CDF", "CHE", "CHF", "CHW", "CLF", "CLP", "CNY", "COP", "COU", "CRC", "CUP",
    "CVE", "CZK", "DJF", "DKK", "DOP", "DZD", "EGP", "ERN", "ETB", "EUR", "FJD", "FKP",
    "GBP", "GEL", "GHS", "GIP", "GMD", "GNF", "GTQ", "GYD", "HKD", "HNL", "HTG", "HUF",
    "IDR", "ILS", "INR", "IQD", "IRR", "ISK", "JMD", "JOD", "JPY", "KES", "KGS", "KHR",
    "KMF", "KPW", "KRW", "KWD", "KYD", "KZT", "LAK", "LBP", "LKR", "LRD", "LSL", "LYD",
    "MAD", "MDL", "MGA", "MKD", "MMK", "MNT", "MOP", "MRU", "MUR", "MVR", "MWK", "MXN",
    "MXV", "MYR", "MZN", "NAD", "NGN", "NIO", "NOK", "NPR", "NZD", "OMR", "PAB", "PEN",
    "PGK", "PHP", "PKR", "PLN", "PYG", "QAR", "RON", "RSD", "RUB", "RWF", "SAR", "SBD",
    "SCR", "SDG", "SEK", "SGD", "SHP", "SLE", "SOS", "SRD", "SSP", "STN", "SVC", "SYP",
    "SZL", "THB", "TJS", "TMT", "TND", "TOP", "TRY", "TTD", "TWD", "TZS", "UAH", "UGX",
    "USD", "USN", "UYI", "UYU", "UYW", "UZS", "VED", "VES", "VND", "VUV", "WST", "XAD",
    "XAF", "XAG", "XAU", "XBA", "XBB", "XBC", "XBD", "XCD", "XCG", "XDR", "XOF", "XPD",
    "XPF", "XPT", "XSU", "XTS", "XUA", "XXX", "YER", "ZAR", "ZMW", "ZWG",
})
# fmt: on

# In List One, but they are not money a customer can spend: "no currency" and "testing".
_NOT_MONEY = frozenset({"XXX", "XTS"})


def check_currency(
    code: object, *, line: int | None = None, field: str = "currency", where: str = ""
) -> str:
    """The upper-case ISO 4217 code, or SourceError naming the line and field.

    Surrounding blanks and lower case are forgiven ("eur" -> "EUR"); anything else that is not
    a current code (crypto tickers, withdrawn codes, typos) is an error, not a guess.
    """
    if not isinstance(code, str) or not code.strip():
        raise SourceError("currency is missing", line=line, field=field, where=where)
    text = code.strip().upper()
    if text not in ISO_4217:
        shown = code.strip() if len(code.strip()) <= 12 else code.strip()[:12] + "..."
        raise SourceError(
            f"unknown currency {shown!r} (not an ISO 4217 code)",
            line=line,
            field=field,
            where=where,
        )
    if text in _NOT_MONEY:
        raise SourceError(
            f"currency {text!r} is not money (ISO 4217 test/no-currency code)",
            line=line,
            field=field,
            where=where,
        )
    return text
