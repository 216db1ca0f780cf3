"""The sponsor's CSV reports, as iterators of rows: the portal streams them.

Both read from the read replica when one is configured (``core.replica``): an export may lag
the primary by the replica's replay delay, never by more.

Participants appear under a pseudonym that is stable within one sponsor and unlinkable across
sponsors.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterator
from typing import TYPE_CHECKING

from django.conf import settings
from django.db.models import Case, Count, IntegerField, OuterRef, Subquery, Sum, When

from core.replica import reporting_database
from forest.models import Tree
from partners.models import PlantingOrder, SurvivalCheck
from partners.selectors.portal import live_campaign_actions

if TYPE_CHECKING:
    from catalogue.models import Sponsor

_S = PlantingOrder.State

CSV_CHUNK_SIZE = 2_000


def participant_pseudonym(sponsor_id: int, user_id: int) -> str:
    """A stable id for one person in one sponsor's reports, unlinkable across sponsors."""
    key = f"{settings.SECRET_KEY}:portal-participant:{sponsor_id}".encode()
    return hmac.new(key, str(user_id).encode(), hashlib.sha256).hexdigest()[:16]


TREES_CSV_HEADER = [
    "tree_id",
    "order_id",
    "participant",
    "forest",
    "species",
    "tree_status",
    "matured_at",
    "order_state",
    "planted_at",
    "verified_at",
    "survival",
    "survival_year",
]


def _iso(value) -> str:
    return value.isoformat() if value else ""


def trees_report_rows(sponsor: Sponsor) -> Iterator[list[str]]:
    """One row per tree in the sponsor's forests, with its live (or latest) planting order."""
    # A live order wins over cancelled ones; then the newest.
    order = PlantingOrder.objects.filter(tree=OuterRef("pk")).order_by(
        Case(When(state=_S.CANCELLED, then=1), default=0), "-id"
    )
    last_check = SurvivalCheck.objects.filter(order_id=OuterRef("order_id")).order_by("-year")
    rows = (
        Tree.objects.using(reporting_database())
        .filter(forest__sponsor=sponsor)
        .annotate(
            order_id=Subquery(order.values("pk")[:1], output_field=IntegerField()),
        )
        .annotate(
            order_state=Subquery(
                PlantingOrder.objects.filter(pk=OuterRef("order_id")).values("state")[:1]
            ),
            planted_at=Subquery(
                PlantingOrder.objects.filter(pk=OuterRef("order_id")).values("planted_at")[:1]
            ),
            verified_at=Subquery(
                PlantingOrder.objects.filter(pk=OuterRef("order_id")).values("verified_at")[:1]
            ),
            survival_alive=Subquery(last_check.values("alive")[:1]),
            survival_year=Subquery(last_check.values("year")[:1]),
        )
        .order_by("id")
        .values_list(
            "id",
            "order_id",
            "owner_id",
            "forest__name",
            "species__code",
            "status",
            "matured_at",
            "order_state",
            "planted_at",
            "verified_at",
            "survival_alive",
            "survival_year",
        )
    )
    yield TREES_CSV_HEADER
    for row in rows.iterator(chunk_size=CSV_CHUNK_SIZE):
        (tree_id, order_id, owner_id, forest, species, status, matured, state) = row[:8]
        planted, verified, alive, year = row[8:]
        survival = "" if alive is None else ("alive" if alive else "dead")
        yield [
            str(tree_id),
            "" if order_id is None else str(order_id),
            participant_pseudonym(sponsor.pk, owner_id),
            forest,
            species,
            status,
            _iso(matured),
            state or "",
            _iso(planted),
            _iso(verified),
            survival,
            "" if year is None else str(year),
        ]


CAMPAIGNS_CSV_HEADER = ["campaign_id", "campaign", "day", "actions", "grams"]


def campaigns_report_rows(sponsor: Sponsor) -> Iterator[list[str]]:
    """Per campaign per booking day: live actions and the campaign's grams."""
    rows = (
        live_campaign_actions(sponsor)
        .using(reporting_database())
        .values("campaign_id", "campaign__name", "booking_date")
        .annotate(n=Count("id"), g=Sum("campaign_grams"))
        .order_by("campaign_id", "booking_date")
        .values_list("campaign_id", "campaign__name", "booking_date", "n", "g")
    )
    yield CAMPAIGNS_CSV_HEADER
    for campaign_id, name, day, n, g in rows.iterator(chunk_size=CSV_CHUNK_SIZE):
        yield [str(campaign_id), name, day.isoformat(), str(n), str(int(g or 0))]
