"""Builders for the portal tests: planting orders in a given state, survival checks, and
campaign energy written straight as green actions (scoring itself is tested elsewhere)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.utils import timezone

from forest.models import GreenAction, ScoringChunk, ScoringRun
from partners.models import PlantingOrder, PlantingOrderEvent, SurvivalCheck
from tests.accounts.factories import TransactionFactory, UserFactory
from tests.forest.tree_factories import TreeFactory

_LIFECYCLE = ["requested", "funded", "planted", "verified", "survival_checked"]


def order_in_state(forest, state: str, *, owner=None, at=None, alive: bool | None = None):
    """A matured tree in ``forest`` with an order that went through the lifecycle to ``state``.

    Each step gets its event (dated ``at``); ``alive`` adds a year-1 survival check.
    """
    at = at or timezone.now()
    tree = TreeFactory(forest=forest, owner=owner or UserFactory(), status="matured", matured_at=at)
    planted = state in ("planted", "verified", "survival_checked")
    verified = state in ("verified", "survival_checked")
    order = PlantingOrder.objects.create(
        tree=tree,
        forest=forest,
        partner=forest.planting_partner,
        state=state,
        price=forest.price_per_tree,
        currency=forest.currency,
        planted_at=at if planted else None,
        verified_at=at if verified else None,
    )
    steps = _LIFECYCLE[: _LIFECYCLE.index(state) + 1] if state in _LIFECYCLE else [state]
    previous = ""
    for step in steps:
        event = PlantingOrderEvent.objects.create(order=order, from_state=previous, to_state=step)
        PlantingOrderEvent.objects.filter(pk=event.pk).update(created_at=at)
        previous = step
    if alive is not None:
        SurvivalCheck.objects.create(order=order, year=1, checked_on=at.date(), alive=alive)
    return order


def campaign_action(campaign, *, user=None, grams: int = 100, day: date | None = None, **kw):
    """A live green action with ``grams`` of the campaign's energy, booked on ``day``."""
    user = user or UserFactory()
    day = day or timezone.localdate()
    txn = TransactionFactory(
        feed__user=user, merchant_name="Vinted", booking_date=day, queued=False
    )
    run = ScoringRun.objects.create(triggered_by="test")
    chunk = ScoringChunk.objects.create(run=run, user_id_from=user.pk, user_id_to=user.pk)
    return GreenAction.objects.create(
        transaction=txn,
        user=user,
        campaign=campaign,
        action_type="second_hand",
        booking_date=day,
        amount=Decimal("-5.00"),
        currency="EUR",
        eur_amount=Decimal("-5.00"),
        estimated_grams=50,
        base_grams=50,
        campaign_grams=grams,
        grams=50 + grams,
        chunk=chunk,
        created_at=timezone.now(),
        **kw,
    )
