"""The catalogue's privacy hook (protocol: ``privacy.hooks``): the user's sponsor memberships."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from accounts.privacy import export_rows
from catalogue.models import SponsorMembership

if TYPE_CHECKING:
    from accounts.models import User


def export_sections(*, user: User, **context) -> Iterator[tuple[str, object]]:
    yield (
        "sponsor_memberships",
        export_rows(
            SponsorMembership.objects.filter(user_id=user.pk).order_by("id"),
            "role",
            "created_at",
            sponsor_name="sponsor__name",
        ),
    )


def erase(*, user: User, email: str, now) -> dict[str, int]:
    deleted, _ = SponsorMembership.objects.filter(user=user).delete()
    return {"sponsor_memberships_deleted": deleted}
