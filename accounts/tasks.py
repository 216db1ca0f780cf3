"""Thin Celery tasks: take ids, fetch, call a service."""

from __future__ import annotations

from celery import shared_task

from accounts.models import User


@shared_task(bind=True, max_retries=5, default_retry_delay=30)
def welcome_notification_task(self, user_id: int) -> None:
    user = User.objects.filter(pk=user_id).first()
    if user is None:
        return  # deleted since enqueue
    from accounts.services import welcome_send

    welcome_send(user=user)
