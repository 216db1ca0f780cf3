"""Writes for forests and planting: the budget ledger, planting orders and their submission.

Money only moves through ForestBudgetEntry rows with unique idempotency keys. Reserving locks
the forest row first, so two trees maturing at once against the last budget unit are served
one after the other and the budget can never go below zero.
"""

from __future__ import annotations

import calendar
import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.db import transaction
from django.db.models import Q, Sum
from django.utils import timezone
from django.utils.translation import gettext

from catalogue.models import BrandForest, Species
from core.locks import lock_rows
from forest.services.trees import tree_mark_planted
from partners.integrations.planting_partners import (
    PlantingPartnerError,
    PlantingRequest,
    adapter_for,
)
from partners.models import ForestBudgetEntry, PlantingOrder, PlantingOrderEvent

logger = logging.getLogger(__name__)

# Orders per partner per run. A sandbox submit takes microseconds and an HTTP one ~0.5 s, so a
# batch stays well inside the task's soft time limit; the task re-runs for what is left.
PLANTING_SUBMIT_BATCH_SIZE = 200

_TRANSITIONS: dict[str, set[str]] = {
    PlantingOrder.State.REQUESTED: {PlantingOrder.State.FUNDED, PlantingOrder.State.CANCELLED},
    PlantingOrder.State.FUNDED: {PlantingOrder.State.PLANTED, PlantingOrder.State.CANCELLED},
    PlantingOrder.State.PLANTED: {PlantingOrder.State.VERIFIED},
    PlantingOrder.State.VERIFIED: {PlantingOrder.State.SURVIVAL_CHECKED},
    PlantingOrder.State.SURVIVAL_CHECKED: set(),
    PlantingOrder.State.CANCELLED: set(),
}


class PlantingOrderStateError(Exception):
    pass


@dataclass(frozen=True)
class Reservation:
    """The outcome of trying to fund a tree: an order, or why there is none."""

    order: PlantingOrder | None
    reason: str = ""

    @property
    def funded(self) -> bool:
        return self.order is not None


CENT = Decimal("0.01")


def forest_budget_available(forest_id: int) -> Decimal:
    total = ForestBudgetEntry.objects.filter(forest_id=forest_id).aggregate(t=Sum("amount"))["t"]
    # SQLite sums decimals as floats (1.80 - 3 x 0.60 = 2.2e-16); PostgreSQL is exact.
    return (total or Decimal("0")).quantize(CENT)


def forest_trees_committed(forest_id: int) -> int:
    """Trees this forest has taken on: its orders that are not cancelled."""
    return (
        PlantingOrder.objects.filter(forest_id=forest_id)
        .exclude(state=PlantingOrder.State.CANCELLED)
        .count()
    )


@transaction.atomic
def forest_budget_topup(
    *, forest: BrandForest, amount: Decimal, idempotency_key: str, memo: str = ""
) -> ForestBudgetEntry:
    """The sponsor pays in. A repeated key returns the entry written the first time."""
    if amount <= 0:
        raise ValueError(gettext("A top-up must be positive."))
    entry, _created = ForestBudgetEntry.objects.get_or_create(
        idempotency_key=idempotency_key,
        defaults={
            "forest": forest,
            "kind": ForestBudgetEntry.Kind.TOPUP,
            "amount": amount,
            "memo": memo,
        },
    )
    return entry


@transaction.atomic
def planting_order_reserve(*, tree, forest_id: int) -> Reservation:
    """Reserve one tree's price in ``forest_id`` and create its order, or say why not.

    Locks the forest row, then checks under that lock that the forest is open, that the
    budget covers the price and that capacity is left; the reserve entry and the order are
    written in the caller's transaction, so they exist together or not at all.
    """
    forest = (
        lock_rows(BrandForest.objects.select_related("planting_partner"))
        .filter(pk=forest_id)
        .first()
    )
    if forest is None or forest.status != BrandForest.Status.OPEN:
        return Reservation(None, "This forest is not taking trees at the moment.")
    if forest_trees_committed(forest.id) >= forest.capacity:
        return Reservation(None, "This forest is full.")
    if forest_budget_available(forest.id) < forest.price_per_tree:
        return Reservation(None, "This forest's sponsor budget is used up for now.")
    order = PlantingOrder.objects.create(
        tree=tree,
        forest=forest,
        partner=forest.planting_partner,
        price=forest.price_per_tree,
        currency=forest.currency,
    )
    ForestBudgetEntry.objects.create(
        forest=forest,
        kind=ForestBudgetEntry.Kind.RESERVE,
        amount=-forest.price_per_tree,
        idempotency_key=f"reserve:order:{order.idempotency_key}",
        order=order,
        memo=f"tree {tree.pk}",
    )
    PlantingOrderEvent.objects.create(
        order=order, from_state="", to_state=order.state, note="budget reserved"
    )
    return Reservation(order)


@transaction.atomic
def planting_order_transition(
    *, order_id: int, to_state: str, note: str = "", at: datetime | None = None, **fields
) -> PlantingOrder:
    """Move an order one step along its lifecycle, with an event; refuses illegal steps.

    The row is locked so that two workers reporting the same step record it once.
    """
    at = at or timezone.now()
    order = lock_rows(PlantingOrder.objects).get(pk=order_id)
    if to_state not in _TRANSITIONS[order.state]:
        raise PlantingOrderStateError(
            gettext("An order cannot go from %(from)s to %(to)s.")
            % {"from": order.state, "to": to_state}
        )
    from_state = order.state
    order.state = to_state
    update = ["state", "updated_at"]
    if to_state == PlantingOrder.State.PLANTED:
        order.planted_at = at
        update.append("planted_at")
    elif to_state == PlantingOrder.State.VERIFIED:
        order.verified_at = at
        update.append("verified_at")
    for name, value in fields.items():
        setattr(order, name, value)
        update.append(name)
    order.save(update_fields=update)
    PlantingOrderEvent.objects.create(
        order=order, from_state=from_state, to_state=to_state, note=note[:500]
    )
    _after_transition(order, from_state)
    return order


def _after_transition(order: PlantingOrder, from_state: str) -> None:
    key = f"order:{order.idempotency_key}"
    if order.state == PlantingOrder.State.FUNDED:
        # The partner took the order: the reservation becomes a spend; available is unchanged.
        ForestBudgetEntry.objects.bulk_create(
            [
                ForestBudgetEntry(
                    forest_id=order.forest_id, kind=ForestBudgetEntry.Kind.RELEASE,
                    amount=order.price, idempotency_key=f"release:{key}:spent", order=order,
                ),
                ForestBudgetEntry(
                    forest_id=order.forest_id, kind=ForestBudgetEntry.Kind.SPEND,
                    amount=-order.price, idempotency_key=f"spend:{key}", order=order,
                ),
            ]
        )  # fmt: skip
    elif order.state == PlantingOrder.State.CANCELLED:
        # Only a reservation goes back; money already spent stays spent.
        if from_state == PlantingOrder.State.REQUESTED:
            ForestBudgetEntry.objects.create(
                forest_id=order.forest_id,
                kind=ForestBudgetEntry.Kind.RELEASE,
                amount=order.price,
                idempotency_key=f"release:{key}:cancelled",
                order=order,
            )
    elif order.state == PlantingOrder.State.PLANTED:
        tree_mark_planted(tree_id=order.tree_id, at=order.planted_at)


@dataclass(frozen=True)
class SubmitResult:
    funded: int
    failed: int
    # The partner was unreachable or answered 5xx/408/429: the batch stopped at that order.
    outage: bool = False


# Backoff of an order after a failed submission: 5 minutes, doubling, at most 6 hours; the
# retry sweep (every 15 minutes) sends only orders whose wait is over.
SUBMIT_BACKOFF_FIRST = timedelta(minutes=5)
SUBMIT_BACKOFF_MAX = timedelta(hours=6)


def submit_backoff(attempts: int) -> timedelta:
    """How long an order waits after its ``attempts``-th failed submission."""
    return min(SUBMIT_BACKOFF_FIRST * 2 ** min(max(attempts - 1, 0), 16), SUBMIT_BACKOFF_MAX)


def species_out_of_season(month: int) -> dict[int, str]:
    """Species not planted in ``month`` (1-12), with the reason to show; empty months = all year.

    The species catalogue is tens of rows, so it is read whole: JSON "contains" is not
    portable to SQLite, and this keeps the order query a plain ``species_id NOT IN``.
    """
    held = {}
    for species_id, name, months in Species.objects.values_list("id", "name_en", "planting_months"):
        if months and month not in months:
            names = ", ".join(calendar.month_abbr[m] for m in sorted(months))
            held[species_id] = f"Out of planting season: {name} is planted in {names}."[:200]
    return held


def _hold_out_of_season(partner_id: int, held: dict[int, str]) -> None:
    """Mark requested orders of out-of-season species with why they wait; clear the rest."""
    requested = PlantingOrder.objects.filter(
        partner_id=partner_id, state=PlantingOrder.State.REQUESTED
    )
    now = timezone.now()
    for species_id, reason in held.items():
        requested.filter(tree__species_id=species_id).exclude(hold_reason=reason).update(
            hold_reason=reason, updated_at=now
        )
    requested.exclude(tree__species_id__in=list(held)).exclude(hold_reason="").update(
        hold_reason="", updated_at=now
    )


def planting_orders_submit(
    partner_id: int,
    *,
    batch_size: int = PLANTING_SUBMIT_BATCH_SIZE,
    today: date | None = None,
    now: datetime | None = None,
    retries_only: bool = False,
):
    """Send a partner's requested orders, oldest first; returns how many were accepted.

    Only orders whose species is planted this month are sent (``Species.planting_months``);
    the others stay requested with ``hold_reason`` saying why, for the admin, until their
    season comes.

    Selected in one query; each is sent outside any transaction (never hold row locks across
    a network call) with its idempotency key, so a retry or a second worker racing on the
    same order cannot buy a second tree. Recording the answer is a guarded state change:
    only the first worker to report an order moves it to funded. Timeouts and 5xx keep the
    order requested for the next run.

    A failed order waits ``submit_backoff`` before it is sent again (``next_attempt_at``).
    When the partner is down (unreachable, 5xx, 408, 429) the batch stops at the first such
    answer: the other orders stay requested and untouched, and the partner is not called 200
    times for nothing. ``retries_only`` sends only orders that failed before and are due (the
    retry sweep); the nightly run sends every due order.
    """
    now = now or timezone.now()
    held = species_out_of_season((today or timezone.localdate()).month)
    _hold_out_of_season(partner_id, held)
    due = PlantingOrder.objects.filter(
        partner_id=partner_id, state=PlantingOrder.State.REQUESTED
    ).filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
    if retries_only:
        due = due.filter(submit_attempts__gt=0)
    orders = list(
        due.exclude(tree__species_id__in=list(held))
        .select_related("partner", "forest", "tree__species")
        .order_by("id")[:batch_size]
    )
    if not orders:
        return SubmitResult(0, 0)
    adapter = adapter_for(orders[0].partner)
    funded = failed = 0
    for order in orders:
        request = PlantingRequest(
            idempotency_key=str(order.idempotency_key),
            species_code=order.tree.species.code,
            species_latin=order.tree.species.latin_name,
            forest_name=order.forest.name,
            quantity=1,
        )
        try:
            result = adapter.submit(request)
        except PlantingPartnerError as exc:
            failed += 1
            _record_failure(order, exc, now=now)
            if exc.transient:
                return SubmitResult(funded, failed, outage=True)
            continue
        try:
            planting_order_transition(
                order_id=order.id,
                to_state=PlantingOrder.State.FUNDED,
                note="accepted by the partner",
                provider_reference=result.reference[:200],
                submit_attempts=order.submit_attempts + 1,
                last_error="",
            )
        except PlantingOrderStateError:
            continue  # another worker recorded it first (or it was cancelled meanwhile)
        funded += 1
    return SubmitResult(funded, failed)


@transaction.atomic
def _record_failure(order: PlantingOrder, exc: PlantingPartnerError, *, now: datetime) -> None:
    log = logger.warning if exc.transient else logger.error
    log("planting order %s not accepted: %s", order.pk, exc)
    message = str(exc)[:500]
    attempts = order.submit_attempts + 1
    PlantingOrder.objects.filter(pk=order.pk, state=PlantingOrder.State.REQUESTED).update(
        submit_attempts=attempts,
        last_error=message,
        next_attempt_at=now + submit_backoff(attempts),
        updated_at=timezone.now(),
    )
    PlantingOrderEvent.objects.create(
        order=order,
        from_state=order.state,
        to_state=order.state,
        note=f"submit failed ({'will retry' if exc.transient else 'rejected'}): {message}"[:500],
    )
