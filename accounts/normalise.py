"""Merchant-name normalisation: what banks write, turned into the name a rule can recognise.

Shared by the importers (which store ``merchant_norm`` and ``descriptor_norm``) and the rules
(whose merchant names and aliases are normalised the same way). Scoring then compares the
leading one, two or three *whole words* of these names with the rules' names
(``forest.scoring.classify``), so everything here aims at one thing: that the shop's name
comes first, without the noise banks put around it.

- ``normalise_merchant`` is for a merchant or counterparty name ("NS GROEP IZ NS REIZIGERS",
  "PAYPAL *VINTED", "Het Goed Kringloop Amersfoort B.V."). A name that says nothing about the
  shop (a payment processor, a bank, "SEPA") becomes "", so the description is used instead.
- ``normalise_descriptor`` is for a description or remittance line ("BEA, Apple Pay GVB
  AMSTERDAM,PAS123 NR:CT5R9X 03.11.26/08:12", "Kartenzahlung girocard DB Vertrieb GmbH//
  Frankfurt/DE", "CARD PAYMENT TO TFL TRAVEL CH ON 03-11-2026"): the bank's boilerplate and
  the payment's references go, a named field (``Naam:``, ``/NAME/``) wins, and the rest is
  normalised as a merchant name.
"""

from __future__ import annotations

import re
import unicodedata

# Legal forms, as whole words once punctuation is gone ("B.V." -> "b v"). Two-letter forms
# that are also words ("se", "ag", "sa", "ab") are only dropped at the end of a name.
_LEGAL_ANYWHERE = re.compile(
    r"\b(b v|bv|n v|nv|gmbh|mbh|ltd|limited|llc|inc|plc|uab|aps|sarl|s a r l|sas|srl|"
    r"spa|s p a|bvba|sprl|vof|v o f|cv|c v|kg|ohg|e v|gbr|ug|oy|sl|s l|co kg|corp|corporation|"
    r"stichting|vzw|asbl|gemeinnutzige)\b"
)
_LEGAL_AT_END = re.compile(r"( (ag|se|sa|s a|ab|as|nv|co|company|holding|group|cie|et cie))+$")

# Card-network and processor prefixes: "PAYPAL *VINTED" is Vinted. A prefix before a star that
# is not a processor is the merchant itself ("LIME*RIDE", "MTA*NYCT PAYGO").
_PROCESSOR_PREFIXES = (
    "paypal", "pp", "sq", "sqc", "sumup", "sum up", "sp", "tst", "iz", "izettle", "zettle",
    "ccv", "mollie", "mol", "adyen", "stripe", "pos", "py", "pay", "apl", "google", "goog",
    "amzn", "wpy", "payu", "mlp", "eb", "ptp", "vend", "toast", "clover", "klarna", "cko",
    "checkout", "bd", "sgc", "fs", "dnh", "ws",
)  # fmt: skip
_PROCESSOR_STAR = re.compile(
    r"^\s*(?:" + "|".join(re.escape(p) for p in _PROCESSOR_PREFIXES) + r")\s*[*#]\s*",
    re.IGNORECASE,
)
_STAR = re.compile(r"\s*\*\s*")
# "X via Mollie", "X via MultiSafepay": the shop is X.
_VIA = re.compile(r"\s+(via|by|through|door|uber|über|par)\s+\S+.*$", re.IGNORECASE)

# Names that say nothing about the shop: processors, banks, wallets, payment schemes.
GENERIC_NAMES = frozenset(
    {
        "paypal", "paypal europe", "paypal europe et cie s c", "mollie", "mollie payments",
        "adyen", "stripe", "stripe payments", "stripe payments europe", "sumup", "square",
        "zettle", "izettle", "ccv", "buckaroo", "multisafepay", "pay nl", "pay", "ingenico",
        "worldline", "worldpay", "klarna", "afterpay", "riverty", "tikkie", "ideal",
        "bancontact", "payconiq", "giropay", "sofort", "sepa", "apple pay", "google pay",
        "betaalverzoek", "ing", "ing bank", "abn amro", "abn amro bank", "rabobank", "sns",
        "sns bank", "asn bank", "bunq", "knab", "triodos", "triodos bank", "kbc", "belfius",
        "bnp paribas fortis", "argenta", "sparkasse", "deutsche bank", "commerzbank",
        "postbank", "n26", "revolut", "wise", "barclays", "hsbc", "lloyds", "lloyds bank",
        "natwest", "monzo", "santander", "chase", "bank of america", "wells fargo", "visa",
        "mastercard", "maestro", "vpay", "amex", "american express", "pos", "card payment",
        "debit card", "unknown", "onbekend", "divers",
    }
)  # fmt: skip

# Trailing place names: dropped from the end of a name ("GVB AMSTERDAM" -> "gvb"), never when
# that would leave nothing, nor after a linking word ("transport for london" stays).
_CITIES = frozenset(
    {
        "amsterdam", "rotterdam", "utrecht", "haag", "gravenhage", "eindhoven", "groningen",
        "tilburg", "almere", "breda", "nijmegen", "arnhem", "haarlem", "enschede", "amersfoort",
        "apeldoorn", "zwolle", "leiden", "maastricht", "dordrecht", "zoetermeer", "delft",
        "alkmaar", "hilversum", "leeuwarden", "deventer", "venlo", "schiedam", "diemen",
        "amstelveen", "hoofddorp", "schiphol", "ede", "gouda", "zaandam", "purmerend", "heerlen",
        "oss", "roosendaal", "antwerpen", "anvers", "gent", "gand", "brussel", "bruxelles",
        "brussels", "leuven", "louvain", "brugge", "liege", "luik", "namur", "mechelen",
        "charleroi", "hasselt", "kortrijk", "ostende", "oostende", "berlin", "hamburg", "munchen",
        "muenchen", "munich", "koln", "koeln", "cologne", "frankfurt", "stuttgart", "dusseldorf",
        "duesseldorf", "leipzig", "dortmund", "essen", "bremen", "dresden", "hannover", "nurnberg",
        "nuernberg", "bonn", "mannheim", "karlsruhe", "freiburg", "aachen", "munster", "muenster",
        "paris", "lyon", "marseille", "toulouse", "nice", "nantes", "strasbourg", "montpellier",
        "bordeaux", "lille", "rennes", "reims", "grenoble", "dijon", "london", "manchester",
        "birmingham", "leeds", "glasgow", "edinburgh", "liverpool", "bristol", "sheffield",
        "cardiff", "belfast", "newcastle", "nottingham", "leicester", "brighton", "oxford",
        "cambridge", "york", "nyc", "brooklyn", "chicago", "boston", "seattle", "portland",
        "oakland", "francisco", "angeles", "austin", "denver", "atlanta", "philadelphia",
        "washington", "houston", "dallas", "miami", "nl", "be", "de", "fr", "gb", "uk", "us", "usa",
        "nld", "bel", "deu", "fra", "gbr", "ca", "ny", "wa", "or", "ma", "il", "tx", "fl", "co",
        "ga", "pa", "dc", "nj", "va"
    }
)  # fmt: skip
_LINKING = frozenset({"for", "of", "de", "van", "du", "la", "le", "des", "der", "am", "an"})

_DOMAIN = re.compile(
    r"(?:https?://)?(?:www\.)?([a-z0-9-]+)\.(?:co\.uk|org\.uk|gov\.uk|com|nl|de|fr|be|eu|org|"
    r"net|io|uk|co|es|it|at|ch|app|shop|store)\b(?:/\S*)?"
)
_NOISE = re.compile(r"[^a-z0-9 ]+")
# Store and terminal numbers, card numbers, references and dates once split into words:
# "512", "f1234", "pas123", "nr", "03nov26".
_NUMBERISH = re.compile(
    r"\b(?:[a-z]{0,4}\d{2,}[a-z0-9]*|\d+|\d{1,2}(?:jan|feb|mar|apr|may|mei|jun|jul|aug|sep|"
    r"oct|okt|nov|dec|dez)\d{0,4}|x+\d*|nr|no|pas|store|st|loc|term|terminal)\b"
)


def _ascii_lower(text: str) -> str:
    if text.isascii():  # most bank text: no accents to strip
        return text.lower()
    text = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in text if not unicodedata.combining(ch)).lower()


def _strip_cities(words: list[str]) -> list[str]:
    while len(words) > 1 and words[-1] in _CITIES and words[-2] not in _LINKING:
        # "san francisco", "new york", "den haag": two-word places go as one.
        if len(words) > 2 and f"{words[-2]} {words[-1]}" in _TWO_WORD_CITIES:
            words = words[:-2]
        else:
            words = words[:-1]
    return words


_TWO_WORD_CITIES = frozenset(
    {"den haag", "s gravenhage", "new york", "san francisco", "los angeles", "frankfurt am"}
)


def normalise_merchant(name: str) -> str:
    """Lower-case ASCII words of the shop's name; "" if the name names no shop.

    "Albert Heijn 1234 B.V." -> "albert heijn"; "PAYPAL *VINTED" -> "vinted"; "SQ *BLUE
    BOTTLE COFFEE" -> "blue bottle coffee"; "GOODWILL STORE #512" -> "goodwill";
    "GVB AMSTERDAM" -> "gvb"; "www.vinted.nl" -> "vinted"; "Mollie B.V." -> "".
    """
    text = _ascii_lower(name or "").strip()
    if not text:
        return ""
    # Processor prefixes, repeatedly ("PAYPAL *SUMUP *X" happens).
    for _ in range(3):
        stripped = _PROCESSOR_STAR.sub("", text, count=1)
        if stripped == text:
            break
        text = stripped
    text = _STAR.sub(" ", text)
    if "." in text:
        text = _DOMAIN.sub(r" \1 ", text)
    if " " in text:
        text = _VIA.sub("", text)
    text = text.replace("&", " ").replace("'", "")
    text = _NOISE.sub(" ", text)
    text = " ".join(text.split())
    text = _LEGAL_ANYWHERE.sub(" ", text)
    text = _NUMBERISH.sub(" ", text)
    text = " ".join(text.split())
    text = _LEGAL_AT_END.sub("", text)
    words = _strip_cities(text.split())
    text = " ".join(words)
    if text in GENERIC_NAMES:
        return ""
    return text


# ---- descriptions -----------------------------------------------------------------------------

# A named field in a structured remittance line: its value is the counterparty.
# (a lower-case marker that must be in the text, the field): the marker saves the regex.
_NAME_FIELDS = (
    # ABN AMRO SEPA: /TRTP/.../NAME/X/REMI/...
    ("/name/", re.compile(r"/NAME/([^/]+)/", re.IGNORECASE)),
    (
        "naam:",
        re.compile(r"\bNaam:\s*(.+?)(?=\s+(?:Omschrijving|IBAN|BIC|Kenmerk|Machtiging)\b|$)", re.I),
    ),
    ("abwa+", re.compile(r"\bABWA\+(.+?)(?=\s+[A-Z]{4}\+|$)")),  # German SEPA: ultimate creditor
)
# Remittance text: where a name field names no shop (a processor), or says more than it does
# ("Marktplaats" / "Marktplaats Admarkt advertentiekosten"), this is read instead.
_REMITTANCE_FIELDS = (
    ("/remi/", re.compile(r"/REMI/([^/]+)", re.IGNORECASE)),
    (
        "omschrijving:",
        re.compile(r"\bOmschrijving:\s*(.+?)(?=\s+(?:IBAN|BIC|Kenmerk|Machtiging)\b|$)", re.I),
    ),
    ("svwz+", re.compile(r"\bSVWZ\+(.+?)(?=\s+[A-Z]{4}\+|$)")),
)
# What banks put around the shop's name: payment kind, card, wallet, references, dates.
_BOILERPLATE = re.compile(
    r"(?ix)"
    r"\b(?:BEA|GEA|BETAALAUTOMAAT|GELDAUTOMAAT|BETAALPAS|APPLE\s+PAY|GOOGLE\s+PAY|"
    r"SEPA\s+(?:OVERBOEKING|INCASSO(?:\s+ALGEMEEN\s+DOORLOPEND)?|LASTSCHRIFT|UEBERWEISUNG)|"
    r"KARTENZAHLUNG|GIROCARD|LASTSCHRIFT|ELV|FOLGENR\.?|VERFALLD\.?|SVWZ\+|EREF\+|MREF\+|"
    r"CRED\+|KREF\+|"
    r"BETALING\s+MET\s+DEBETKAART(?:\s+NUMMER)?|BETALING\s+MET\s+BANCONTACT|BANCONTACT|"
    r"PAIEMENT\s+(?:PAR\s+CARTE(?:\s+BANCAIRE)?|CB|MAESTRO)|PRLV\s+SEPA|VIR\s+SEPA|"
    r"CARTE\s+X?\d*|FACTURE\s+CARTE|^\s*(?:ACHAT\s+)?CB(?=\s)|"
    r"CARD\s+PAYMENT(?:\s+TO)?|CONTACTLESS(?:\s+PAYMENT)?|DEBIT\s+CARD\s+PURCHASE|"
    r"POS\s+(?:PURCHASE|DEBIT)|PURCHASE\s+AUTHORI[ZS]ED\s+ON\s+[\d/]+|RECURRING\s+PAYMENT|"
    r"CHECKCARD(?:\s+\d{4})?|VISA\s+DDA\s+PUR|DEBIT\s+PURCHASE|ACH\s+DEBIT|"
    r"BILL\s+PAYMENT|PAYMENT\s+TO|VISA\s+DEBIT|MASTERCARD|MAESTRO|VPAY|"
    r"OM\s+\d{1,2}[.:]\d{2}(?:\s+UUR)?|ON\s+\d{1,2}[-/ ]\w{2,3}(?:[-/ ]\d{2,4})?|"
    r"OMSCHRIJVING:|KENMERK:.*$|IBAN:\s*\S+|BIC:\s*\S+|MACHTIGING:.*$|INCASSANT:.*$|"
    r"/TRTP/[^/]*|/REMI/|/EREF/.*$|/CSID/.*$|/MARF/.*$|"
    r"TRANSACTIE:?|TERMINAL:?|PAS\s*\d+|NR:?\s*\S+|CARD\s+\d+|"
    r"\d{2}[./-]\d{2}[./-]\d{2,4}(?:[/ T]\d{1,2}[:.]\d{2}(?::\d{2})?)?|\d{1,2}[:.]\d{2}(?::\d{2})?|"
    r"(?:DEB|VIS|POS|DD|SO|BGC|FPO|TFR|BP|CPT)(?=\s)|"
    r"\(APPLE\s+PAY\)|\(GOOGLE\s+PAY\))"
)
_LEADING_FILLER = re.compile(
    r"^(?:(?:aankoop|betaling|bestelling|order|ordernr|factuur|betaling aan|aan|bij|payment|"
    r"purchase|achat|zahlung an|zahlung|einkauf bei|einkauf|kauf|bei|at|to|your|uw|"
    r"voor|from|the)\s+)+"
)
# A US cheque ("CHECK 1043") is not the e-moped operator Check.
_CHEQUE = re.compile(r"^\s*(?:CHECK|CHEQUE|CHQ)\s*#?\s*\d+", re.IGNORECASE)


def normalise_descriptor(description: str) -> str:
    """The shop's name as a description or remittance line gives it, normalised; or "".

    "BEA, Apple Pay NS GROEP IZ NS REIZIGERS,PAS123 NR:CT5R9X 03.11.26/08:12 UTRECHT" ->
    "ns groep iz ns reizigers"; "Naam: Stichting Het Goed Omschrijving: ..." -> "het goed".
    """
    text = (description or "").strip()
    if not text or _CHEQUE.match(text):
        return ""
    lower = text.lower()
    named = ""
    for marker, field in _NAME_FIELDS:
        found = field.search(text) if marker in lower else None
        if found and (named := normalise_merchant(found.group(1))):
            break
    remitted = ""
    for marker, field in _REMITTANCE_FIELDS:
        found = field.search(text) if marker in lower else None
        if found:
            remitted = _LEADING_FILLER.sub("", normalise_merchant(found.group(1)))
            break
    if named:
        # The remittance line is more specific when it starts with the name and goes on.
        return remitted if remitted.startswith(named + " ") else named
    if remitted:
        return remitted
    text = _BOILERPLATE.sub(" ", text)
    # German card lines: "DB Vertrieb GmbH//Frankfurt/DE" -> the part before "//".
    text = text.split("//", 1)[0]
    # Comma-separated parts: the first one that names something ("GVB AMSTERDAM,PAS123").
    for part in text.split(","):
        norm = normalise_merchant(part)
        norm = _LEADING_FILLER.sub("", norm)
        if norm and norm not in GENERIC_NAMES:
            return norm
    return ""


def leading_keys(name: str, depth: int = 3) -> list[str]:
    """The first one, two, ... ``depth`` words of a normalised name: the keys scoring probes."""
    words = name.split()
    return [" ".join(words[:n]) for n in range(1, min(depth, len(words)) + 1)]


def transaction_names(merchant_name: str, description: str) -> tuple[str, str]:
    """``(merchant_norm, descriptor_norm)`` as the importer stores them: the description's
    name only where the merchant's is empty or names no shop (scoring's fallback)."""
    merchant = normalise_merchant(merchant_name)[:200]
    return merchant, "" if merchant else normalise_descriptor(description)[:200]
