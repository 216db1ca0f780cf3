"""Reads of claim code batches for the portal: batches, counts, redemptions per day."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from django.db.models import Count, Q
from django.db.models.functions import TruncDate
from django.http import Http404
from django.utils import timezone

if TYPE_CHECKING:
    from catalogue.models import Sponsor
    from partners.models import ClaimCodeBatch

CHART_DAYS = 30


def sponsor_batches(sponsor: Sponsor) -> list[ClaimCodeBatch]:
    """The sponsor's batches with ``redeemed`` counted, newest first, in one query."""
    return list(
        sponsor.claim_batches.select_related("campaign")
        .annotate(redeemed=Count("codes", filter=Q(codes__redeemed_at__isnull=False)))
        .order_by("-created_at", "-id")
    )


def sponsor_batch(sponsor: Sponsor, batch_id: int) -> ClaimCodeBatch:
    batch = (
        sponsor.claim_batches.select_related("campaign", "created_by", "downloaded_by")
        .filter(pk=batch_id)
        .first()
    )
    if batch is None:
        raise Http404("No such batch.")
    return batch


@dataclass(frozen=True)
class DayCount:
    day: date
    redeemed: int


def batch_redemptions_by_day(batch: ClaimCodeBatch, *, days: int = CHART_DAYS) -> list[DayCount]:
    """Redemptions per day (active time zone) for the last ``days`` days, zeros included."""
    today = timezone.localdate()
    first = today - timedelta(days=days - 1)
    since = timezone.make_aware(datetime.combine(first, datetime.min.time()))
    counts = dict(
        batch.codes.filter(redeemed_at__gte=since)
        .annotate(day=TruncDate("redeemed_at", tzinfo=timezone.get_current_timezone()))
        .values("day")
        .annotate(n=Count("id"))
        .values_list("day", "n")
    )
    return [
        DayCount(day=first + timedelta(days=i), redeemed=counts.get(first + timedelta(days=i), 0))
        for i in range(days)
    ]


def batch_totals(batch: ClaimCodeBatch) -> dict[str, int]:
    row = batch.codes.aggregate(
        redeemed=Count("id", filter=Q(redeemed_at__isnull=False)),
        total=Count("id"),
    )
    redeemed = row["redeemed"] or 0
    return {
        "codes": row["total"] or 0,
        "redeemed": redeemed,
        "left": (row["total"] or 0) - redeemed,
        "grams_given": redeemed * batch.grams_per_code,
    }
