"""Reads of planting certificates: who may see which, what they state, and whom they name."""

from __future__ import annotations

from accounts.selectors.users import public_holder_name
from catalogue.integrations.geo import geojson_centroid
from forest.integrations.imaging import format_coordinates
from forest.models import Certificate, Tree
from forest.models.trees import TeamMembership, TreeContribution
from forest.planting import PlantingRecord, planting

_RELATED = [
    "tree__owner__profile",
    "tree__species",
    "tree__forest__sponsor",
]


def certificate_for_owner(*, user_id: int, tree_id: int) -> Certificate | None:
    """The certificate of a tree the user grew: their own, or one of their team's."""
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
    return planting().tree_evidence(certificate.tree_id)


def certificate_details(certificate: Certificate, *, locale: str = "en") -> dict:
    """Everything a certificate states, all of it fit for a public page."""
    tree = certificate.tree
    forest = tree.forest
    order = _order(certificate)
    if order and order.latitude is not None and order.longitude is not None:
        latitude, longitude = order.latitude, order.longitude  # as reported
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


def certificate_planting_record(certificate: Certificate) -> PlantingRecord | None:
    """How far the planting's evidence goes, whether it has a photo, its survival checks."""
    return planting().tree_record(certificate.tree_id)


def certificate_photo_jpeg(certificate: Certificate, *, large: bool = False) -> bytes | None:
    """The planting photo of the certificate's tree, without metadata; None without one."""
    return planting().tree_photo_jpeg(certificate.tree_id, large=large)
