"""Reads on linked feeds and their imports, always scoped to their owner."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Prefetch, QuerySet
from django.http import Http404
from django.utils import timezone

from accounts.models import Consent, ImportBatch, ImportJob, LinkedFeed, User


def _with_consents(feeds: QuerySet[LinkedFeed]) -> QuerySet[LinkedFeed]:
    return feeds.prefetch_related(
        Prefetch(
            "consents",
            queryset=Consent.objects.order_by("-granted_at", "-id"),
            to_attr="consents_newest_first",
        )
    )


def feed_current_consent(feed: LinkedFeed) -> Consent | None:
    """The feed's newest consent (live, expired or revoked), from the prefetch when there is one."""
    consents = getattr(feed, "consents_newest_first", None)
    if consents is not None:
        return consents[0] if consents else None
    return feed.consents.order_by("-granted_at", "-id").first()


def feed_list_for_user(*, user: User) -> QuerySet[LinkedFeed]:
    return _with_consents(LinkedFeed.objects.for_user(user).order_by("id"))


def feed_get_for_user(*, user: User, feed_id: int) -> LinkedFeed:
    """The user's feed ``feed_id``; 404 for anyone else's, so their feeds stay unseen."""
    feed = _with_consents(LinkedFeed.objects.for_user(user)).filter(pk=feed_id).first()
    if feed is None:
        raise Http404("No such feed.")
    return feed


def import_list_for_feed(*, feed: LinkedFeed) -> QuerySet[ImportBatch]:
    return ImportBatch.objects.filter(feed=feed).order_by("-created_at", "-id")


def uploads_today(*, user, now=None) -> int:
    """Files the user uploaded in the last 24 hours, into any of their feeds."""
    now = now or timezone.now()
    since = now - timedelta(days=1)
    batches = ImportBatch.objects.filter(
        feed__user=user, source=ImportBatch.Source.UPLOAD, created_at__gte=since
    ).count()
    # Background imports count from their upload, before (or without) their batch.
    waiting = ImportJob.objects.filter(
        user=user, created_at__gte=since, import_batch__isnull=True
    ).count()
    return batches + waiting
