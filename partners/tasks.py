"""Thin Celery tasks for planting. Safe to run twice: orders carry idempotency keys."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from catalogue.models import PlantingPartner
from partners.models import PlantingOrder
from partners.services.planting_orders import planting_orders_submit


@shared_task(acks_late=True)
def planting_orders_submit_task(partner_id: int) -> int:
    """Send one partner's requested orders; returns how many it accepted."""
    if not PlantingPartner.objects.filter(pk=partner_id, is_active=True).exists():
        return 0
    return planting_orders_submit(partner_id).funded


@shared_task
def planting_orders_submit_all_task() -> int:
    """Fan out: one submit task per active partner with requested orders (for Celery beat)."""
    partner_ids = list(
        PlantingOrder.objects.filter(state=PlantingOrder.State.REQUESTED, partner__is_active=True)
        .values_list("partner_id", flat=True)
        .distinct()
        .order_by("partner_id")
    )
    for partner_id in partner_ids:
        planting_orders_submit_task.delay(partner_id)
    return len(partner_ids)


@shared_task
def planting_orders_retry_task() -> int:
    """Every 15 minutes: send again the orders whose submission failed (a partner outage) and
    whose backoff is over, one submit task per partner (docs/failure-modes.md)."""
    partner_ids = list(
        PlantingOrder.objects.filter(
            state=PlantingOrder.State.REQUESTED,
            partner__is_active=True,
            submit_attempts__gt=0,
            next_attempt_at__lte=timezone.now(),
        )
        .values_list("partner_id", flat=True)
        .distinct()
        .order_by("partner_id")
    )
    for partner_id in partner_ids:
        planting_orders_retry_partner_task.delay(partner_id)
    return len(partner_ids)


@shared_task(acks_late=True)
def planting_orders_retry_partner_task(partner_id: int) -> int:
    if not PlantingPartner.objects.filter(pk=partner_id, is_active=True).exists():
        return 0
    return planting_orders_submit(partner_id, retries_only=True).funded
