"""Everything Canopy holds about one user, as one JSON document (GDPR article 20).

``user_export_chunks`` yields the document piece by piece: the header, then each app's sections
(``privacy.hooks``: one query per section, each read with a database-side cursor in chunks), so
a user with 100k transactions costs the same number of queries as a new one and never sits in
memory at once. Access tokens of linked banks are never part of it, not even encrypted.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING

from django.core.serializers.json import DjangoJSONEncoder
from django.utils import timezone

from privacy.hooks import hooks

if TYPE_CHECKING:
    from accounts.models import User

EXPORT_FORMAT = "canopy-export/1"

_encoder = DjangoJSONEncoder(ensure_ascii=False)


def _dumps(value) -> str:
    return _encoder.encode(value)


def _section(name: str, rows: Iterable[dict]) -> Iterator[str]:
    yield f",\n{_dumps(name)}: ["
    for i, row in enumerate(rows):
        yield ("" if i == 0 else ",") + "\n  " + _dumps(row)
    yield "\n]"


def user_export_chunks(*, user: User, verification_url: Callable[[str], str]) -> Iterator[str]:
    """The export document as text pieces, in a fixed number of queries."""
    yield "{"
    yield f"\n{_dumps('format')}: {_dumps(EXPORT_FORMAT)}"
    yield f",\n{_dumps('generated_at')}: {_dumps(timezone.now())}"
    for export_sections in hooks("export_sections"):
        for name, value in export_sections(user=user, verification_url=verification_url):
            if isinstance(value, dict):
                yield f",\n{_dumps(name)}: {_dumps(value)}"
            else:
                yield from _section(name, value)
    yield "\n}\n"


def user_export_filename(user: User) -> str:
    return f"canopy-export-{user.pk}-{timezone.now():%Y%m%d}.json"
