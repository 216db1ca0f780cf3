"""What every portal page shares: the sponsor scope, the role check and streamed CSV.

Every page is scoped to a sponsor the signed-in user is a member of (404 for any other
sponsor or for another sponsor's objects). Analysts read; only administrators edit.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, StreamingHttpResponse
from django.utils.translation import gettext as _

from catalogue.models import SponsorMembership
from partners.selectors import portal as sel


def portal_context(request: HttpRequest, slug: str, **extra) -> dict:
    """The page's context: the member's sponsor (404 otherwise) and whether they may edit."""
    sponsor = sel.sponsor_with_role(request.user, slug)
    return {
        "sponsor": sponsor,
        "can_edit": sponsor.member_role == SponsorMembership.Role.ADMIN,
        **extra,
    }


def require_admin(ctx: dict) -> None:
    if not ctx["can_edit"]:
        raise PermissionDenied(_("Analysts have read-only access."))


class _Echo:
    """A file-like object whose write returns the line, for csv.writer in a stream."""

    def write(self, value: str) -> str:
        return value


def _csv_stream(rows: Iterable[list[str]]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    for row in rows:
        yield writer.writerow(row)


def csv_response(rows: Iterable[list[str]], filename: str) -> StreamingHttpResponse:
    response = StreamingHttpResponse(_csv_stream(rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
