"""Read queries for the portal, always scoped to the signed-in sponsor member."""

from __future__ import annotations

from django.http import Http404

from catalogue.models import Sponsor


def sponsors_for_member(user) -> list[Sponsor]:
    return list(Sponsor.objects.for_member(user).order_by("name"))


def sponsor_for_member(user, slug: str) -> Sponsor:
    """The sponsor ``slug`` if ``user`` is a member; else 404, so others' brands stay unseen."""
    sponsor = Sponsor.objects.for_member(user).filter(slug=slug).first()
    if sponsor is None:
        raise Http404("No such sponsor.")
    return sponsor
