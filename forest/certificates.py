"""Planting certificates: who may see which, what they show, and the PNG."""

from __future__ import annotations

import logging

from accounts.selectors.users import public_holder_name
from forest.imaging import format_coordinates, render_certificate
from forest.models import Certificate

logger = logging.getLogger(__name__)

_RELATED = [
    "tree__owner__profile",
    "tree__species",
    "tree__forest__sponsor",
]


def certificate_for_owner(*, user_id: int, tree_id: int) -> Certificate | None:
    """The certificate of a tree the user grew: their own, or one of their team's."""
    from forest.models import Tree

    return (
        Certificate.objects.select_related(*_RELATED)
        .filter(tree_id=tree_id, tree__in=Tree.objects.visible_to(user_id))
        .first()
    )


def certificate_by_number(number: str) -> Certificate | None:
    return Certificate.objects.select_related(*_RELATED).filter(number=number).first()


def holder_names(tree) -> list[str]:
    """Who the certificate names: the owner, or every member of a team tree.

    A team tree names everyone who grew it (largest share first, so a member who left after
    contributing is still named) and then the active members who have not grown it yet.
    """
    if not tree.team_id:
        return [public_holder_name(tree.owner)]
    from forest.models.trees import TeamMembership, TreeContribution

    users = [
        c.user
        for c in TreeContribution.objects.filter(tree_id=tree.id)
        .select_related("user__profile")
        .order_by("-grams", "id")
    ]
    seen = {u.id for u in users}
    users += [
        m.user
        for m in TeamMembership.objects.filter(
            team_id=tree.team_id, status=TeamMembership.Status.ACTIVE
        )
        .select_related("user__profile")
        .order_by("created_at", "id")
        if m.user_id not in seen
    ]
    return [public_holder_name(u) for u in users]


def _order(certificate: Certificate):
    from partners.models import PlantingOrder

    return (
        PlantingOrder.objects.filter(tree_id=certificate.tree_id)
        .exclude(state=PlantingOrder.State.CANCELLED)
        .first()
    )


def certificate_details(certificate: Certificate, *, locale: str = "en") -> dict:
    """Everything a certificate states, all of it fit for a public page."""
    from catalogue.integrations.geo import geojson_centroid

    tree = certificate.tree
    forest = tree.forest
    order = _order(certificate)
    if order and order.planted_latitude is not None and order.planted_longitude is not None:
        latitude, longitude = order.planted_latitude, order.planted_longitude  # as reported
    else:
        try:
            latitude, longitude = geojson_centroid(forest.area)
        except (ValueError, TypeError):
            latitude = longitude = None
    names = holder_names(tree)
    planted_at = order.planted_at if order else None
    verified_at = order.verified_at if order else None
    return {
        "number": certificate.number,
        "holder": ", ".join(names),
        "holders": names,
        "species_name": tree.species.name(locale),
        "species_latin": tree.species.latin_name,
        "forest_name": forest.name,
        "sponsor_name": forest.sponsor.name,
        "latitude": latitude,
        "longitude": longitude,
        "coordinates": format_coordinates(latitude, longitude),
        "planted_on": planted_at.date() if planted_at else None,
        "verified_on": verified_at.date() if verified_at else None,
        "issued_at": certificate.issued_at,
    }


def _logo_bytes(sponsor) -> bytes | None:
    if not sponsor.logo:
        return None
    try:
        with sponsor.logo.open("rb") as fh:
            return fh.read()
    except OSError:
        logger.warning("sponsor %s logo unreadable; certificate without it", sponsor.pk)
        return None


def certificate_png(
    certificate: Certificate, *, verification_url: str, locale: str = "en"
) -> bytes:
    details = certificate_details(certificate, locale=locale)
    return render_certificate(
        number=details["number"],
        holder_names=details["holders"],
        species_name=details["species_name"],
        species_latin=details["species_latin"],
        forest_name=details["forest_name"],
        sponsor_name=details["sponsor_name"],
        sponsor_logo=_logo_bytes(certificate.tree.forest.sponsor),
        latitude=details["latitude"],
        longitude=details["longitude"],
        planted_on=details["planted_on"],
        verified_on=details["verified_on"],
        verification_url=verification_url,
        locale=locale,
    )
