"""Delivering the push rows ``notification_dispatch`` records, through FCM (docs/push.md).

``push_deliver_due`` runs every minute (``accounts.tasks.push_deliver_task``):

1. **Claim.** Due rows (``sent_at`` empty, ``not_before`` passed) are claimed by setting
   ``sent_at``: on PostgreSQL the batch is selected FOR UPDATE SKIP LOCKED, so workers running
   at once take disjoint batches; elsewhere each row is claimed by a conditional UPDATE. A
   claimed row is never claimed again, so a retried or doubled task sends nothing twice.
2. **Check again at sending time.** The account is active and push and the topic are still on;
   the user is not in quiet hours (the row is put back until they end); the message is not
   stale; the user's daily push budget is not used up (consent reminders are exempt); the
   topic's own rate limit (sponsor news) holds.
3. **Send** to each of the user's FCM devices. Tokens FCM calls invalid are pruned; a transient
   failure (429, 5xx, network) on every device puts the row back with exponential backoff, up
   to ``CANOPY_PUSH_MAX_ATTEMPTS``; ``outcome`` records what became of it.
"""

from __future__ import annotations

import logging
import random
from collections import Counter
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from accounts.integrations.fcm import PushMessage, SendResult, fcm_client, push_configured
from accounts.models import OutboundMessage, PushDevice
from accounts.services.devices import push_devices_prune
from accounts.services.notifications import (
    REQUIRED_TOPICS,
    _profile,
    quiet_hours_end,
    topic_allowed,
)
from core.timezones import local_day_start

logger = logging.getLogger(__name__)

PUSH = OutboundMessage.Channel.PUSH
Outcome = OutboundMessage.Outcome
# Rows per run; the task runs every minute.
DELIVER_BATCH_SIZE = 200
BACKOFF_BASE_SECONDS = 30
BACKOFF_MAX_SECONDS = 3600


def topic_min_interval(topic: str) -> timedelta | None:
    """The least time between two pushes of the topic (sponsor news), None for no limit."""
    if topic == "sponsors":
        return timedelta(days=settings.CANOPY_PUSH_SPONSOR_INTERVAL_DAYS)
    return None


def backoff(attempts: int, retry_after: float | None = None) -> timedelta:
    """30 s, 1 min, 2 min, ... up to an hour, with up to 20 % jitter; FCM's Retry-After wins
    when it asks for longer."""
    seconds = min(BACKOFF_BASE_SECONDS * 2 ** max(attempts - 1, 0), BACKOFF_MAX_SECONDS)
    seconds *= 1 + random.random() * 0.2
    return timedelta(seconds=max(seconds, retry_after or 0))


def _claim(now: datetime, limit: int) -> list[int]:
    due = OutboundMessage.objects.filter(
        channel=PUSH, sent_at__isnull=True, not_before__lte=now
    ).order_by("not_before", "id")
    with transaction.atomic():
        if connection.features.has_select_for_update_skip_locked:
            ids = list(
                due.select_for_update(skip_locked=True, of=("self",)).values_list("pk", flat=True)[
                    :limit
                ]
            )
            OutboundMessage.objects.filter(pk__in=ids).update(sent_at=now)
            return ids
        ids = list(due.values_list("pk", flat=True)[:limit])
    return [
        pk
        for pk in ids
        if OutboundMessage.objects.filter(pk=pk, sent_at__isnull=True).update(sent_at=now) == 1
    ]


def _finish(message: OutboundMessage, outcome: str, error: str = "", attempted: bool = False):
    OutboundMessage.objects.filter(pk=message.pk).update(
        outcome=outcome,
        last_error=error[:1000],
        attempts=message.attempts + (1 if attempted else 0),
    )
    return outcome


def _put_back(message: OutboundMessage, not_before: datetime, **fields) -> str:
    OutboundMessage.objects.filter(pk=message.pk).update(
        sent_at=None, not_before=not_before, **fields
    )
    return "held" if not fields else "retry"


def _stale(message: OutboundMessage, now: datetime) -> bool:
    expires = parse_datetime(str(message.payload.get("expires_at") or ""))
    if expires is not None and now >= expires:
        return True
    return now - message.created_at > timedelta(hours=settings.CANOPY_PUSH_MAX_AGE_HOURS)


def _limit_reached(message: OutboundMessage, tz_name: str, now: datetime) -> str | None:
    """``over_budget`` or ``rate_limited`` when the user has had enough pushes lately."""
    if message.topic in REQUIRED_TOPICS:
        return None
    sent = OutboundMessage.objects.filter(
        user_id=message.user_id, channel=PUSH, outcome=Outcome.SENT
    )
    today = sent.filter(sent_at__gte=local_day_start(now, tz_name)).exclude(
        topic__in=REQUIRED_TOPICS
    )
    if today.count() >= settings.CANOPY_PUSH_DAILY_BUDGET:
        return Outcome.OVER_BUDGET
    interval = topic_min_interval(message.topic)
    if interval and sent.filter(topic=message.topic, sent_at__gt=now - interval).exists():
        return Outcome.RATE_LIMITED
    return None


def _push_message(message: OutboundMessage) -> PushMessage:
    payload = message.payload
    data = {str(k): str(v) for k, v in (payload.get("data") or {}).items()}
    data.update({"kind": str(payload.get("kind", "")), "topic": message.topic})
    data["message_id"] = str(message.pk)
    return PushMessage(
        title=payload.get("title", ""),
        body=payload.get("body", ""),
        data=data,
        collapse_key=str(payload.get("collapse_key", "")),
    )


def _deliver(client, message: OutboundMessage, now: datetime) -> str:
    user = message.user
    profile = _profile(user)
    if not (user.is_active and topic_allowed(profile, message.topic, PUSH)):
        return _finish(message, Outcome.SWITCHED_OFF)
    if _stale(message, now):
        return _finish(message, Outcome.STALE)
    quiet_end = quiet_hours_end(profile, now)
    if quiet_end is not None:  # the user went quiet (or changed zone) since it was recorded
        return _put_back(message, quiet_end)
    limited = _limit_reached(message, profile.time_zone, now)
    if limited:
        return _finish(message, limited)
    devices = list(
        PushDevice.objects.filter(user_id=user.pk, token_type=PushDevice.TokenType.FCM).only(
            "pk", "token"
        )
    )
    if not devices:
        return _finish(message, Outcome.NO_DEVICE)
    push = _push_message(message)
    results: dict[int, SendResult] = {d.pk: client.send(d.token, push) for d in devices}
    by_status: dict[str, list[int]] = {}
    for pk, result in results.items():
        by_status.setdefault(result.status, []).append(pk)
    errors = "; ".join(f"device {pk}: {r.detail}" for pk, r in results.items() if r.status != "ok")
    if by_status.get("prune"):
        push_devices_prune(device_ids=by_status["prune"])
    if by_status.get("ok"):
        PushDevice.objects.filter(pk__in=by_status["ok"]).update(last_sent_at=now)
        return _finish(message, Outcome.SENT, errors, attempted=True)
    attempts = message.attempts + 1
    retry = by_status.get("retry")
    if retry and attempts < settings.CANOPY_PUSH_MAX_ATTEMPTS:
        wait = max(results[pk].retry_after or 0 for pk in retry)
        return _put_back(
            message, now + backoff(attempts, wait), attempts=attempts, last_error=errors[:1000]
        )
    if not retry and not by_status.get("failed"):
        return _finish(message, Outcome.NO_DEVICE, errors, attempted=True)  # all pruned
    return _finish(message, Outcome.FAILED, errors, attempted=True)


_channel_off_logged = False


def push_deliver_due(*, now: datetime | None = None, limit: int = DELIVER_BATCH_SIZE) -> dict:
    """Claim and send the due pushes; returns how many ended in each outcome (``held`` and
    ``retry`` for rows put back)."""
    global _channel_off_logged
    now = now or timezone.now()
    if not push_configured():
        if not _channel_off_logged:
            logger.info("push channel off: no FCM credentials; pushes are recorded, not sent")
            _channel_off_logged = True
        off = OutboundMessage.objects.filter(
            channel=PUSH, sent_at__isnull=True, not_before__lte=now
        ).update(sent_at=now, outcome=Outcome.CHANNEL_OFF)
        return {Outcome.CHANNEL_OFF.value: off} if off else {}
    client = fcm_client()
    counts: Counter[str] = Counter()
    ids = _claim(now, limit)
    messages = OutboundMessage.objects.filter(pk__in=ids).select_related("user__profile")
    for message in messages.order_by("not_before", "id"):
        try:
            counts[str(_deliver(client, message, now))] += 1
        except Exception as exc:  # one bad row must not stop the batch (it stays claimed)
            logger.exception("push %s not delivered", message.pk)
            _finish(message, Outcome.FAILED, f"{type(exc).__name__}: {exc}", attempted=True)
            counts[Outcome.FAILED.value] += 1
    return dict(counts)
