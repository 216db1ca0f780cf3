"""OFX text as tokens: decoding line by line (UTF-8, else the header's single-byte charset),
entities, and start/end/text tokens with their line numbers, for SGML and XML alike.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

from accounts.integrations.sources.base import SourceError

_CHUNK = 64 * 1024
_MAX_LINE = 1024 * 1024  # a single-line OFX body is cut at a '>' past this size


_HEADER_LINE = re.compile(rb"^\s*([A-Z]+)\s*:\s*(\S*)\s*$", re.MULTILINE)
_XML_ENCODING = re.compile(rb"""<\?xml[^>]*encoding\s*=\s*["']([A-Za-z0-9._-]+)["']""")
_TAG_NAME = re.compile(r"[A-Za-z][A-Za-z0-9._-]*")


_ENTITY = re.compile(r"&(#x[0-9A-Fa-f]+|#\d+|amp|lt|gt|quot|apos|nbsp);")
_ENTITIES = {"amp": "&", "lt": "<", "gt": ">", "quot": '"', "apos": "'", "nbsp": " "}


def _fallback_charset(head: bytes) -> str:
    """The single-byte charset a header declares (used for lines that are not UTF-8)."""
    match = _XML_ENCODING.search(head)
    if match:
        name = match.group(1).decode("ascii").lower()
        try:
            name = codecs.lookup(name).name
        except LookupError:
            return "cp1252"
        return "cp1252" if name in ("utf-8", "ascii") else name
    headers = {k.upper(): v.upper() for k, v in _HEADER_LINE.findall(head.split(b"<", 1)[0])}
    charset = headers.get(b"CHARSET", b"")
    if charset in (b"ISO-8859-1", b"8859-1", b"LATIN1"):
        return "latin-1"
    return "cp1252"


def _decode(raw: bytes, fallback: str) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode(fallback, errors="replace")


def text_pieces(stream: BinaryIO) -> Iterator[str]:
    """Decoded pieces of the file, each ending at a newline (or at a '>' in a huge line)."""
    head = stream.read(_CHUNK)
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        rest = head + stream.read()
        yield rest.decode("utf-16")
        return
    if head.startswith(codecs.BOM_UTF8):
        head = head[len(codecs.BOM_UTF8) :]
    fallback = _fallback_charset(head)
    pending = head
    while True:
        lines = pending.split(b"\n")
        pending = lines.pop()
        for line in lines:
            yield _decode(line + b"\n", fallback)
        if len(pending) > _MAX_LINE:
            cut = pending.rfind(b">") + 1  # '>' is ASCII: never inside a multi-byte character
            if cut > 0:
                yield _decode(pending[:cut], fallback)
                pending = pending[cut:]
        chunk = stream.read(_CHUNK)
        if not chunk:
            break
        pending += chunk
    if pending:
        yield _decode(pending, fallback)


def unescape(text: str) -> str:
    def replace(match: re.Match[str]) -> str:
        entity = match.group(1)
        if entity.startswith("#"):
            try:
                code = int(entity[2:], 16) if entity[1] in "xX" else int(entity[1:])
                return chr(code)
            except (ValueError, OverflowError):
                return match.group(0)
        return _ENTITIES[entity]

    return _ENTITY.sub(replace, text) if "&" in text else text


@dataclass(slots=True)
class Token:
    kind: str  # "start" | "end" | "empty" | "text" | "cdata"
    value: str  # tag name (upper case) or text
    line: int


def tokens(pieces: Iterator[str]) -> Iterator[Token]:
    """Tags and text with their line numbers; comments, PIs and DOCTYPE are dropped."""
    buffer = ""
    pos = 0
    line = 1
    exhausted = False

    def more() -> bool:
        nonlocal buffer, pos, exhausted
        piece = next(pieces, None)
        if piece is None:
            exhausted = True
            return False
        buffer = buffer[pos:] + piece
        pos = 0
        return True

    while True:
        lt = buffer.find("<", pos)
        if lt < 0:
            if not exhausted and more():
                continue
            text = buffer[pos:]
            if text.strip():
                yield Token("text", text, line)
            return
        if lt > pos:
            text = buffer[pos:lt]
            if text.strip():
                # The text's own line: where its first non-blank character is.
                lead = len(text) - len(text.lstrip())
                yield Token("text", text, line + text.count("\n", 0, lead))
            line += text.count("\n")
            pos = lt
        if buffer.startswith("<!--", pos):
            terminator = "-->"
        elif buffer.startswith("<![CDATA[", pos):
            terminator = "]]>"
        elif buffer.startswith("<?", pos):
            terminator = "?>"
        else:
            terminator = ">"
        end = buffer.find(terminator, pos + 1)
        while end < 0:
            if exhausted or not more():
                raise SourceError("the file ends inside a tag (truncated?)", line=line)
            end = buffer.find(terminator, pos + 1)
        markup = buffer[pos : end + len(terminator)]
        start_line = line
        line += markup.count("\n")
        pos = end + len(terminator)
        if markup.startswith("<![CDATA["):
            yield Token("cdata", markup[9:-3], start_line)
            continue
        if markup.startswith(("<!", "<?")):
            continue
        inner = markup[1:-1].strip()
        kind = "start"
        if inner.startswith("/"):
            kind, inner = "end", inner[1:].strip()
        elif inner.endswith("/"):
            kind, inner = "empty", inner[:-1].strip()
        name = inner.split(None, 1)[0] if inner else ""
        if not _TAG_NAME.fullmatch(name):
            raise SourceError(f"malformed tag {markup[:40]!r}", line=start_line)
        yield Token(kind, name.upper(), start_line)
