"""Thin Celery tasks: take ids, fetch, call a service."""

from __future__ import annotations

import logging

from celery import shared_task

from accounts.integrations.providers import ProviderError
from accounts.models import ImportBatch, LinkedFeed, PlaidItem, User
from accounts.services.consent_sweep import consent_sweep
from accounts.services.email_verification import (
    email_verification_send,
    registration_attempt_notify,
)
from accounts.services.feed_sync import feed_sync, feeds_due_for_pull
from accounts.services.import_jobs import import_job_fail, import_job_run
from accounts.services.importing import FeedNotImportable
from accounts.services.notifications import outbound_release
from accounts.services.plaid_link import plaid_item_remove, plaid_items_due_for_removal
from accounts.services.push import push_deliver_due
from accounts.services.users import welcome_send

logger = logging.getLogger(__name__)


@shared_task(bind=True, max_retries=5, default_retry_delay=30)
def welcome_notification_task(self, user_id: int) -> None:
    user = User.objects.filter(pk=user_id).first()
    if user is None:
        return  # deleted since enqueue

    welcome_send(user=user)


@shared_task
def email_verification_task(user_id: int) -> None:
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is not None and user.email_verified_at is None:
        email_verification_send(user=user)


@shared_task
def registration_attempt_task(user_id: int) -> None:
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is not None:
        registration_attempt_notify(user=user)


@shared_task
def consent_sweep_task() -> dict:
    """Daily: re-consent nudges 14 and 7 days ahead, and expiry of lapsed consents."""
    result = consent_sweep()
    return {"nudged_14": result.nudged_14, "nudged_7": result.nudged_7, "expired": result.expired}


@shared_task
def feeds_pull_task() -> int:
    """Nightly: one sync task per active aggregator feed, and another try at removing the
    Plaid items of revoked feeds that Plaid missed. Returns how many syncs were enqueued."""
    feed_ids = feeds_due_for_pull()
    for feed_id in feed_ids:
        feed_sync_task.delay(feed_id)
    for item_id in plaid_items_due_for_removal():
        plaid_item_remove_task.delay(item_id)
    return len(feed_ids)


@shared_task
def plaid_item_remove_task(plaid_item_id: int) -> bool:
    """Remove a revoked feed's item at Plaid and erase its tokens. A failure is recorded on the
    item and retried by the nightly pull, not here: revocation never waits for Plaid."""
    item = PlaidItem.objects.filter(pk=plaid_item_id).first()
    if item is None:
        return False  # deleted since enqueue (the user or feed was deleted)
    return plaid_item_remove(item=item)


@shared_task(bind=True, max_retries=5, default_retry_delay=60)
def feed_sync_task(
    self, feed_id: int, source: str = ImportBatch.Source.PULL, delivery_id: str = ""
) -> int:
    """Pull one feed's new transactions. Returns the number of page imports."""
    feed = LinkedFeed.objects.filter(pk=feed_id).first()
    if feed is None:
        return 0  # deleted since enqueue

    try:
        return len(feed_sync(feed=feed, source=source, delivery_id=delivery_id))
    except FeedNotImportable as exc:
        logger.info("feed %s not synced: %s", feed_id, exc.message)
        return 0
    except ProviderError as exc:
        if not exc.retryable:
            logger.warning("feed %s sync failed: %s", feed_id, exc)
            return 0
        raise self.retry(exc=exc) from exc


@shared_task
def outbound_release_task() -> int:
    """Every 5 minutes: send the e-mails held through quiet hours that are now due."""
    return outbound_release()


@shared_task
def push_deliver_task() -> dict:
    """Every minute: send the due pushes through FCM (claimed once: a retried or doubled run
    sends nothing twice). Returns how many ended in each outcome."""
    return push_deliver_due()


@shared_task(bind=True, max_retries=3, default_retry_delay=60)
def import_job_run_task(self, job_id: str) -> str | None:
    """Import a large upload (accounts.services.import_jobs); safe to run twice."""
    try:
        job = import_job_run(job_id=job_id)
    except Exception as exc:
        if self.request.retries >= self.max_retries:
            import_job_fail(
                job_id=job_id, message=f"The import could not finish ({type(exc).__name__})."
            )
            return "failed"
        raise self.retry(exc=exc) from exc
    return job.state if job is not None else None
