"""Reads behind the partner portal's pages, always for one sponsor.

Every function runs a fixed number of queries whatever the sponsor's size (aggregates and
GROUP BYs in the database, never a query per forest, campaign or tree); the portal tests
assert those counts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_DOWN, Decimal
from typing import TYPE_CHECKING, TypeAlias, TypedDict

from django.db.models import (
    Count,
    Exists,
    F,
    OuterRef,
    Q,
    QuerySet,
    Sum,
)
from django.db.models.functions import TruncWeek
from django.http import Http404
from django.utils import timezone

from catalogue.models import BrandForest, Campaign, Sponsor
from forest.models import GreenAction, Tree
from forest.models.trees import TreeContribution
from partners.models import ForestBudgetEntry, PlantingOrder, PlantingOrderEvent, SurvivalCheck
from partners.selectors.forests import forests_with_figures
from partners.selectors.runway import ForestRunway, runway_of, with_recent_spend

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise, WithAnnotations

    from partners.selectors.forests import ForestWithFigures

    class _Role(TypedDict):
        member_role: str

    SponsorWithRole: TypeAlias = WithAnnotations[Sponsor, _Role]

CHART_WEEKS = 12
CENT = Decimal("0.01")

_S = PlantingOrder.State
FUNDED_STATES = [_S.FUNDED, _S.PLANTED, _S.VERIFIED, _S.SURVIVAL_CHECKED]
PLANTED_STATES = [_S.PLANTED, _S.VERIFIED, _S.SURVIVAL_CHECKED]
VERIFIED_STATES = [_S.VERIFIED, _S.SURVIVAL_CHECKED]


def sponsor_with_role(user, slug: str) -> SponsorWithRole:
    """The sponsor ``slug`` with ``member_role`` set to ``user``'s role; 404 for non-members.

    One query: the filter and the annotation share the membership join.
    """
    sponsor = (
        Sponsor.objects.filter(memberships__user=user, slug=slug)
        .annotate(member_role=F("memberships__role"))
        .first()
    )
    if sponsor is None:
        raise Http404("No such sponsor.")
    return sponsor  # type: ignore[return-value]  # plugin: SponsorQuerySet.first() drops annotations


# --------------------------------------------------------------------------------------------
# Overview
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ForestBudget:
    money: Decimal
    trees: int


@dataclass(frozen=True)
class SponsorFigures:
    trees_funded: int
    trees_planted: int
    trees_verified: int
    trees_surviving: int
    participants: int
    campaign_grams: int
    budget_money: Decimal
    budget_trees: int
    currencies: list[str] = field(default_factory=list)
    runways: list[ForestRunway] = field(default_factory=list)  # open and full forests


def _dead(order_ref: str = "pk") -> Exists:
    """The order's tree was found dead at a survival check (once dead, it stays counted dead)."""
    return Exists(SurvivalCheck.objects.filter(order=OuterRef(order_ref), alive=False))


def sponsor_tree_counts(sponsor: Sponsor) -> dict[str, int]:
    """Funded, planted, verified and surviving trees of the sponsor's forests: one query.

    Surviving is survival-adjusted: planted trees, minus those a survival check found dead.
    """
    counts = (
        PlantingOrder.objects.filter(forest__sponsor=sponsor)
        .annotate(dead=_dead())
        .aggregate(
            funded=Count("id", filter=Q(state__in=FUNDED_STATES)),
            planted=Count("id", filter=Q(state__in=PLANTED_STATES)),
            verified=Count("id", filter=Q(state__in=VERIFIED_STATES)),
            surviving=Count("id", filter=Q(state__in=PLANTED_STATES, dead=False)),
        )
    )
    return {k: v or 0 for k, v in counts.items()}


def live_campaign_actions(sponsor: Sponsor) -> QuerySet[GreenAction]:
    return GreenAction.objects.filter(campaign__sponsor=sponsor, reversed_at__isnull=True).exclude(
        campaign_grams=0
    )


def sponsor_participants(sponsor: Sponsor) -> int:
    """Distinct people with a tree in the sponsor's forests (its owner or, for a team tree,
    anyone who grew energy into it) or energy from its campaigns: one query."""
    tree_owners = Tree.objects.filter(forest__sponsor=sponsor).order_by().values("owner_id")
    growers = (
        TreeContribution.objects.filter(tree__forest__sponsor=sponsor).order_by().values("user_id")
    )
    earners = live_campaign_actions(sponsor).order_by().values("user_id")
    return tree_owners.union(growers, earners).count()


def sponsor_campaign_grams(sponsor: Sponsor) -> int:
    total = live_campaign_actions(sponsor).aggregate(g=Sum("campaign_grams"))["g"]
    return int(total or 0)


def _budget_left(forests: list[ForestWithFigures]) -> ForestBudget:
    money = sum((f.budget_available for f in forests), Decimal("0")).quantize(CENT)
    trees = 0
    for f in forests:
        if f.budget_available > 0:
            affordable = int((f.budget_available / f.price_per_tree).to_integral_value(ROUND_DOWN))
            trees += max(0, min(affordable, f.capacity_left))
    return ForestBudget(money=money, trees=trees)


def sponsor_forests_with_figures(sponsor: Sponsor) -> list[ForestWithFigures]:
    """The sponsor's forests with trees committed, capacity, budget left and the money
    committed lately (for the runway): one query."""
    return list(
        with_recent_spend(forests_with_figures()).filter(sponsor=sponsor).order_by("name", "id")
    )


def sponsor_budget_left(sponsor: Sponsor) -> ForestBudget:
    """Money left in all forests, and how many trees it buys at each forest's price and room."""
    return _budget_left(sponsor_forests_with_figures(sponsor))


def sponsor_figures(sponsor: Sponsor) -> SponsorFigures:
    """The overview's headline figures: four queries."""
    counts = sponsor_tree_counts(sponsor)
    forests = sponsor_forests_with_figures(sponsor)
    budget = _budget_left(forests)
    return SponsorFigures(
        trees_funded=counts["funded"],
        trees_planted=counts["planted"],
        trees_verified=counts["verified"],
        trees_surviving=counts["surviving"],
        participants=sponsor_participants(sponsor),
        campaign_grams=sponsor_campaign_grams(sponsor),
        budget_money=budget.money,
        budget_trees=budget.trees,
        currencies=sorted({f.currency for f in forests}),
        runways=[runway_of(f) for f in forests if f.status != BrandForest.Status.CLOSED],
    )


@dataclass(frozen=True)
class WeekPoint:
    week: date  # the Monday
    trees_funded: int
    campaign_grams: int


def _monday(d: date) -> date:
    return d - timedelta(days=d.weekday())


def _as_date(value: date | datetime) -> date:
    if isinstance(value, datetime):
        return timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    return value


def sponsor_weekly_series(sponsor: Sponsor, *, today: date | None = None) -> list[WeekPoint]:
    """Trees funded and campaign grams per week for the last 12 weeks (oldest first): two queries.

    A tree counts as funded in the week its order was accepted by the planting partner.
    """
    today = today or timezone.localdate()
    first = _monday(today) - timedelta(weeks=CHART_WEEKS - 1)
    weeks = [first + timedelta(weeks=i) for i in range(CHART_WEEKS)]
    start = timezone.make_aware(datetime.combine(first, datetime.min.time()))
    funded_rows = (
        PlantingOrderEvent.objects.filter(
            order__forest__sponsor=sponsor, to_state=_S.FUNDED, created_at__gte=start
        )
        .annotate(week=TruncWeek("created_at"))
        .values("week")
        .annotate(n=Count("id"))
        .values_list("week", "n")
    )
    funded = {_as_date(w): n for w, n in funded_rows}
    gram_rows = (
        live_campaign_actions(sponsor)
        .filter(booking_date__gte=first)
        .annotate(week=TruncWeek("booking_date"))
        .values("week")
        .annotate(g=Sum("campaign_grams"))
        .values_list("week", "g")
    )
    grams = {_as_date(w): int(g or 0) for w, g in gram_rows}
    return [WeekPoint(w, funded.get(w, 0), grams.get(w, 0)) for w in weeks]


# --------------------------------------------------------------------------------------------
# Forests
# --------------------------------------------------------------------------------------------


def sponsor_forest(sponsor: Sponsor, forest_id: int) -> BrandForest:
    """One of the sponsor's forests with its figures; 404 for anyone else's."""
    forest = (
        forests_with_figures()
        .filter(sponsor=sponsor, pk=forest_id)
        .select_related("planting_partner")
        .first()
    )
    if forest is None:
        raise Http404("No such forest.")
    return forest


def forest_orders_by_state(forest: BrandForest) -> list[tuple[str, StrOrPromise, int]]:
    """(state, label, count) for every state, in lifecycle order: one query."""
    counts = dict(
        PlantingOrder.objects.filter(forest=forest)
        .values("state")
        .annotate(n=Count("id"))
        .values_list("state", "n")
    )
    return [(value, label, counts.get(value, 0)) for value, label in _S.choices]


FOREST_LEDGER_LIMIT = 50


def forest_budget_entries(forest: BrandForest) -> list[ForestBudgetEntry]:
    return list(forest.budget_entries.order_by("-created_at", "-id")[:FOREST_LEDGER_LIMIT])


# --------------------------------------------------------------------------------------------
# Campaigns
# --------------------------------------------------------------------------------------------


def sponsor_campaigns(sponsor: Sponsor) -> list[Campaign]:
    return list(sponsor.campaigns.order_by("-starts_on", "name", "id"))


def sponsor_campaign(sponsor: Sponsor, campaign_id: int) -> Campaign:
    campaign = sponsor.campaigns.filter(pk=campaign_id).first()
    if campaign is None:
        raise Http404("No such campaign.")
    return campaign


@dataclass(frozen=True)
class DayPoint:
    day: date
    actions: int
    grams: int


def campaign_energy_by_day(campaign: Campaign) -> list[DayPoint]:
    """Actions and campaign grams per booking day (live actions only): one query."""
    rows = (
        GreenAction.objects.filter(campaign=campaign, reversed_at__isnull=True)
        .exclude(campaign_grams=0)
        .values("booking_date")
        .annotate(n=Count("id"), g=Sum("campaign_grams"))
        .order_by("booking_date")
        .values_list("booking_date", "n", "g")
    )
    return [DayPoint(d, n, int(g or 0)) for d, n, g in rows]
