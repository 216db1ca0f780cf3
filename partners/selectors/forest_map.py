"""Reads behind a forest's map and evidence gallery in the portal, for one sponsor's forest.

Each function is one query whatever the forest's size; the map shows at most
``MAP_PIN_LIMIT`` trees (the most recently planted) and the gallery the latest photos.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from django.core.cache import cache
from django.db.models import Count, Exists, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce

from catalogue.models import BrandForest, Sponsor
from partners.integrations.photos import PhotoRejected, photo_thumbnail
from partners.models import PlantingEvidence, PlantingOrder, SurvivalCheck
from partners.selectors.portal import FUNDED_STATES, PLANTED_STATES

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

MAP_PIN_LIMIT = 2000
GALLERY_LIMIT = 24
# Evidence photos as pages show them: a thumbnail for popups and the gallery, a larger view.
PHOTO_SIZES = {"thumb": 320, "photo": 1280}
PHOTO_CACHE_SECONDS = 24 * 3600


def forest_orders_and_counts(
    forest: BrandForest,
) -> tuple[list[tuple[str, StrOrPromise, int]], dict[str, int]]:
    """(state, label, count) for every state in lifecycle order, and the funded, planted and
    surviving (survival-adjusted: planted, minus those a check found dead) trees: one query."""
    dead = Exists(SurvivalCheck.objects.filter(order=OuterRef("pk"), alive=False))
    rows = (
        PlantingOrder.objects.filter(forest=forest)
        .annotate(dead=dead)
        .values("state")
        .annotate(n=Count("id"), dead_n=Count("id", filter=Q(dead=True)))
        .values_list("state", "n", "dead_n")
    )
    by_state: dict[str, tuple[int, int]] = {state: (n, dead_n) for state, n, dead_n in rows}
    orders: list[tuple[str, StrOrPromise, int]] = [
        (v, label, by_state.get(v, (0, 0))[0]) for v, label in PlantingOrder.State.choices
    ]
    planted = sum(by_state.get(s, (0, 0))[0] for s in PLANTED_STATES)
    counts: dict[str, int] = {
        "funded": sum(by_state.get(s, (0, 0))[0] for s in FUNDED_STATES),
        "planted": planted,
        "surviving": planted - sum(by_state.get(s, (0, 0))[1] for s in PLANTED_STATES),
    }
    return orders, counts


@dataclass(frozen=True)
class MapPin:
    """One planted tree on the map: where, in which state, and its first evidence photo."""

    order_id: int
    state: str
    alive: bool | None
    latitude: float
    longitude: float
    planted_on: date | None
    species_en: str
    species_nl: str
    photo_id: int | None

    @property
    def marker(self) -> str:
        """The pin's colour class: the order's state, or ``dead`` after a failed check."""
        return "dead" if self.alive is False else self.state


def forest_map_pins(forest: BrandForest) -> list[MapPin]:
    """The forest's planted trees with a location (as reported, else their photo's): one query."""
    evidence = PlantingEvidence.objects.filter(order=OuterRef("pk")).order_by("created_at", "id")
    latest_check = SurvivalCheck.objects.filter(order=OuterRef("pk")).order_by("-year")
    rows = (
        PlantingOrder.objects.filter(forest=forest, state__in=PLANTED_STATES)
        .annotate(
            lat=Coalesce("planted_latitude", Subquery(evidence.values("latitude")[:1])),
            lon=Coalesce("planted_longitude", Subquery(evidence.values("longitude")[:1])),
            photo_id=Subquery(evidence.values("id")[:1]),
            alive=Subquery(latest_check.values("alive")[:1]),
        )
        .filter(lat__isnull=False, lon__isnull=False)
        .order_by("-planted_at", "-id")
        .values_list(
            "id",
            "state",
            "alive",
            "lat",
            "lon",
            "planted_at",
            "tree__species__name_en",
            "tree__species__name_nl",
            "photo_id",
        )[:MAP_PIN_LIMIT]
    )
    return [
        MapPin(
            order_id=order_id,
            state=state,
            alive=alive,
            latitude=lat,
            longitude=lon,
            planted_on=planted_at.date() if planted_at else None,
            species_en=name_en,
            species_nl=name_nl,
            photo_id=photo_id,
        )
        for order_id, state, alive, lat, lon, planted_at, name_en, name_nl, photo_id in rows
    ]


def forest_evidence_gallery(forest: BrandForest) -> list[PlantingEvidence]:
    """The forest's latest evidence photos with their order and species: one query."""
    return list(
        PlantingEvidence.objects.filter(order__forest=forest)
        .select_related("order__tree__species")
        .order_by("-created_at", "-id")[:GALLERY_LIMIT]
    )


def sponsor_evidence(sponsor: Sponsor, evidence_id: int) -> PlantingEvidence | None:
    """An evidence photo of one of the sponsor's forests; None for anyone else's."""
    return PlantingEvidence.objects.filter(pk=evidence_id, order__forest__sponsor=sponsor).first()


def evidence_jpeg(evidence: PlantingEvidence, size: str) -> bytes | None:
    """The photo at one of PHOTO_SIZES without metadata, cached by its content hash; None if
    the stored file is missing or unreadable."""
    key = f"canopy:evidence:{evidence.sha256}:{size}"
    jpeg = cache.get(key)
    if jpeg is None:
        try:
            with evidence.photo.open("rb") as fh:
                jpeg = photo_thumbnail(fh.read(), max_side=PHOTO_SIZES[size])
        except (OSError, PhotoRejected):
            return None
        cache.set(key, jpeg, PHOTO_CACHE_SECONDS)
    return jpeg
