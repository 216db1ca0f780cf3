"""What the game needs from planting, as a port: forest defines it, partners implements it.

Planting orders, survival checks and the forests' budgets live in ``partners``, a layer above
the game; forest must not import it. So forest states here what it asks of planting (fund a
matured tree, whether a tree is on its way to be planted, its order state and survival for
the tree views, the planting evidence a certificate states) and partners registers the
implementation in ``PartnersConfig.ready()``. Without partners installed, any use raises
``PlantingNotConfigured``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Protocol

from django.core.exceptions import ImproperlyConfigured

if TYPE_CHECKING:
    from django.db.models.expressions import BaseExpression

    from forest.models import Tree


@dataclass(frozen=True)
class Reservation:
    """The outcome of trying to fund a matured tree: funded, or the reason why not.

    ``reason`` is an untranslated message (marked in ``forest.services.trees``).
    """

    funded: bool
    reason: str = ""
    order_id: int | None = None


@dataclass(frozen=True)
class PlantingEvidence:
    """What a certificate states about the planting: where (as reported) and when."""

    latitude: float | None
    longitude: float | None
    planted_at: datetime | None
    verified_at: datetime | None


@dataclass(frozen=True)
class SurvivalRecord:
    """One yearly survival check of a planted tree."""

    year: int
    checked_on: date
    alive: bool


@dataclass(frozen=True)
class PlantingRecord:
    """What the public certificate page shows of a planting: how far its evidence goes
    (``state``: planted, verified by a photo, survival checked), whether a photo exists, and
    every survival check."""

    state: str
    has_photo: bool
    survival_checks: tuple[SurvivalRecord, ...] = ()


class PlantingPort(Protocol):
    def reserve(self, *, tree: Tree, forest_id: int) -> Reservation:
        """Fund the matured ``tree`` in ``forest_id`` in the caller's transaction, or say why
        not (the forest is closed, full, or its budget is used up)."""

    def tree_has_active_order(self, tree_id: int) -> bool:
        """Whether the tree has a planting order that is not cancelled (one query)."""

    def tree_annotations(self) -> dict[str, BaseExpression]:
        """Subqueries to annotate trees with: ``order_state`` (its active order's state, None
        if unfunded) and ``alive`` (its latest survival check, None if unchecked)."""

    def tree_evidence(self, tree_id: int) -> PlantingEvidence | None:
        """The tree's active order as a certificate needs it (one query), None without one."""

    def tree_record(self, tree_id: int) -> PlantingRecord | None:
        """The tree's evidence level, photo and survival checks (two queries), None unfunded."""

    def tree_photo_jpeg(self, tree_id: int, *, large: bool = False) -> bytes | None:
        """The tree's first planting photo as a metadata-free JPEG (a thumbnail unless
        ``large``), None without one."""


class PlantingNotConfigured(ImproperlyConfigured):
    """No planting implementation is registered (the ``partners`` app is not installed)."""


_port: PlantingPort | None = None


def planting_register(port: PlantingPort) -> None:
    """Install the implementation (``partners`` does, when its app is ready)."""
    global _port
    _port = port


def planting() -> PlantingPort:
    """The registered implementation; raises ``PlantingNotConfigured`` without one."""
    if _port is None:
        raise PlantingNotConfigured(
            "forest needs a planting implementation: add 'partners' to INSTALLED_APPS "
            "(its PartnersConfig.ready() registers it with forest.planting.planting_register)."
        )
    return _port
