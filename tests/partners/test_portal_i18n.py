"""The portal's Dutch catalogue: every portal string translated, and the .mo up to date."""

from __future__ import annotations

import gettext
import re
from pathlib import Path

from django.conf import settings

LOCALE = Path(settings.BASE_DIR) / "locale" / "nl" / "LC_MESSAGES"
PORTAL_TEMPLATES = [
    Path(settings.BASE_DIR) / "templates" / "base.html",
    *sorted((Path(settings.BASE_DIR) / "templates" / "partners").glob("*.html")),
]
_TRANSLATE = re.compile(r'{%\s*translate\s+"([^"]+)"|{%\s*translate\s+\'([^\']+)\'')
_BLOCK = re.compile(r"{%\s*blocktranslate[^%]*%}(.*?){%\s*(?:plural|endblocktranslate)\s*%}", re.S)
_VAR = re.compile(r"{{\s*(\w+)\s*}}")


def _po_entries() -> dict[str, str]:
    """msgid -> msgstr (or msgstr[0]) from the .po, for single-line and wrapped entries."""
    entries: dict[str, str] = {}
    for block in (LOCALE / "django.po").read_text(encoding="utf-8").split("\n\n"):
        fields: dict[str, str] = {}
        key = None
        for line in block.splitlines():
            m = re.match(r'^(msgid|msgid_plural|msgstr(?:\[\d+\])?) "(.*)"$', line)
            if m:
                key = m.group(1)
                fields[key] = m.group(2)
            elif line.startswith('"') and key:
                fields[key] += line[1:-1]
        if fields.get("msgid"):
            raw = fields.get("msgstr", fields.get("msgstr[0]", ""))
            entries[fields["msgid"].replace('\\"', '"')] = raw.replace('\\"', '"')
    return entries


def _portal_msgids() -> set[str]:
    found = set()
    for template in PORTAL_TEMPLATES:
        text = template.read_text(encoding="utf-8")
        found |= {a or b for a, b in _TRANSLATE.findall(text)}
        found |= {_VAR.sub(r"%(\1)s", body) for body in _BLOCK.findall(text)}
    return found


def test_every_portal_string_has_a_dutch_translation():
    entries = _po_entries()
    msgids = _portal_msgids()
    assert len(msgids) > 60
    missing = sorted(m for m in msgids if not entries.get(m))
    assert missing == []


def test_the_compiled_catalogue_matches_the_po_file():
    with (LOCALE / "django.mo").open("rb") as fh:
        compiled = gettext.GNUTranslations(fh)
    for msgid, msgstr in _po_entries().items():
        if msgstr and "\\n" not in msgid:
            # a plural entry is compiled under (msgid, form): ngettext reads its first form
            found = compiled.gettext(msgid)
            if found == msgid:
                found = compiled.ngettext(msgid, msgid, 1)
            assert found == msgstr, msgid
