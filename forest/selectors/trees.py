"""Read queries for trees: the species catalogue and a user's trees, each in fixed queries."""

from __future__ import annotations

from typing import cast

from django.db.models import Case, Count, Q, QuerySet, Value, When
from django.utils.translation import gettext_lazy

from accounts.selectors.users import public_holder_name
from catalogue.models import Species
from core.compiled import CompiledQuery
from forest.models import Tree
from forest.models.trees import TreeContribution
from forest.planting import planting


def species_list() -> QuerySet[Species]:
    return Species.objects.filter(is_active=True).order_by("energy_cost_grams", "code")


def _with_details(trees: QuerySet[Tree]) -> QuerySet[Tree]:
    # order_state: the active planting order's state; alive: the latest survival check.
    return trees.select_related("species", "forest__sponsor", "certificate", "team").annotate(
        **planting().tree_annotations()
    )


def trees_for_user(user_id: int) -> QuerySet[Tree]:
    """The user's trees and their teams' trees, newest first, with order state and certificate."""
    return _with_details(Tree.objects.visible_to(user_id)).order_by("-created_at", "-id")


def _current_tree_query(user_id: int) -> QuerySet[Tree]:
    return _with_details(Tree.objects.for_owner(user_id).filter(team__isnull=True)).order_by(
        Case(When(status=Tree.Status.GROWING, then=Value(0)), default=Value(1)),
        "-created_at",
        "-id",
    )[:1]


# Compiled once per process: building this query's SQL was most of the home screen's CPU.
_current_tree = CompiledQuery(_current_tree_query)


def tree_current(user_id: int) -> Tree | None:
    """The personal tree the home screen shows: the growing one; else the latest one, kept
    after maturity with its state (waiting for a forest, to be planted, planted) until the
    user starts the next. One query."""
    found = _current_tree.models(user_id)
    return cast(Tree, found[0]) if found else None


# Stage 0 to 6 (``Species.stage_for``): what the app calls each, and the artwork it draws.
STAGE_NAMES = (
    gettext_lazy("Seed"),
    gettext_lazy("Sprout"),
    gettext_lazy("Seedling"),
    gettext_lazy("Sapling"),
    gettext_lazy("Young tree"),
    gettext_lazy("Growing tree"),
    gettext_lazy("Full-grown tree"),
)
PLANTED_ORDER_STATES = frozenset({"planted", "verified", "survival_checked"})


def tree_phase(tree: Tree, order_state: str | None) -> str:
    """growing, waiting_for_forest (grown, no forest could fund it yet), to_be_planted
    (funded, with the partner) or planted."""
    if tree.status == Tree.Status.GROWING:
        return "growing"
    if tree.status == Tree.Status.PLANTED or order_state in PLANTED_ORDER_STATES:
        return "planted"
    return "to_be_planted" if order_state else "waiting_for_forest"


def tree_artwork_key(species_code: str, stage: int, phase: str) -> str:
    """The app's artwork for the tree: ``<species>/stage-<n>``, ``<species>/planted``."""
    return f"{species_code}/planted" if phase == "planted" else f"{species_code}/stage-{stage}"


def tree_contributions(trees: list[Tree], *, user_id: int) -> dict[int, list[dict]]:
    """Who grew how much into each team tree among ``trees``: one query, none without teams.

    Display names only (never e-mail addresses); ``you`` marks the asking user's own line.
    """
    team_tree_ids = [t.id for t in trees if t.team_id]
    if not team_tree_ids:
        return {}
    result: dict[int, list[dict]] = {tree_id: [] for tree_id in team_tree_ids}
    rows = (
        TreeContribution.objects.filter(tree_id__in=team_tree_ids)
        .select_related("user__profile")
        .order_by("tree_id", "-grams", "id")
    )
    for row in rows:
        result[row.tree_id].append(
            {
                "name": public_holder_name(row.user),
                "grams": row.grams,
                "you": row.user_id == user_id,
            }
        )
    return result


def tree_summary(
    tree: Tree, *, locale: str = "en", contributions: list[dict] | None = None
) -> dict:
    """What the app shows of one tree (from a ``_with_details`` row: no further queries)."""
    species = tree.species
    order_state = getattr(tree, "order_state", None)
    stage = species.stage_for(tree.energy_grams)
    phase = tree_phase(tree, order_state)
    certificate = getattr(tree, "certificate", None)  # a missing one raises AttributeError
    return {
        "id": tree.id,
        "status": tree.status,
        "species": {
            "id": species.id,
            "code": species.code,
            "name": species.name(locale),
            "latin_name": species.latin_name,
        },
        "forest": {
            "id": tree.forest_id,
            "name": tree.forest.name,
            "sponsor": tree.forest.sponsor.name,
        },
        "energy_grams": tree.energy_grams,
        "cost_grams": species.energy_cost_grams,
        "needed_grams": max(0, species.energy_cost_grams - tree.energy_grams),
        "progress_percent": species.progress_percent(tree.energy_grams),
        "stage": stage,
        "stage_name": str(STAGE_NAMES[stage]),
        "phase": phase,
        "artwork_key": tree_artwork_key(species.code, stage, phase),
        "funded": order_state is not None,
        "order_state": order_state,
        "matured_at": tree.matured_at,
        "certificate_number": certificate.number if certificate else None,
        "alive": getattr(tree, "alive", None),
        "team": {"id": tree.team.id, "name": tree.team.name} if tree.team else None,
        "contributions": contributions or [],
    }


def tree_counts_for_user(user_id: int) -> dict[str, int]:
    """Grown, planted and surviving trees, in one query.

    Surviving is survival-adjusted, as Ecosia counts: a planted tree whose latest yearly check
    found it dead no longer counts (an unchecked one is expected to live).
    """
    rows = _with_details(Tree.objects.visible_to(user_id)).aggregate(
        grown=Count("id", filter=~Q(status=Tree.Status.GROWING)),
        planted=Count("id", filter=Q(status=Tree.Status.PLANTED)),
        surviving=Count(
            "id",
            filter=Q(status=Tree.Status.PLANTED) & (Q(alive__isnull=True) | Q(alive=True)),
        ),
    )
    return {key: rows[key] or 0 for key in ("grown", "planted", "surviving")}
