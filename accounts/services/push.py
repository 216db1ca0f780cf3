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
3. **Send** to each of the user's FCM devices, over parallel connections (no database work
   in the threads). Tokens FCM calls invalid are pruned; a transient failure (429, 5xx,
   network) on every device puts the row back with exponential backoff, up to
   ``CANOPY_PUSH_MAX_ATTEMPTS``; ``outcome`` records what became of it.

A run claims batch after batch until nothing is due or ``CANOPY_PUSH_RUN_SECONDS`` is up; a
batch costs a fixed number of queries plus one update per message.
"""

from __future__ import annotations

import logging
import random
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from accounts.integrations.fcm import (
    FcmClient,
    PushMessage,
    SendResult,
    fcm_client,
    push_configured,
)
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
# Rows claimed at a time; a run claims batch after batch until none is due or its time is up.
DELIVER_BATCH_SIZE = 200
# Parallel HTTP requests to FCM (FCM's v1 API has no batch send; its quota is per project and
# far above this).
SEND_THREADS = 8
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


class _Recent:
    """The batch's users' pushes sent lately (one query), counted on as the batch plans more:
    the daily budget and the topics' rate limits without a query per message."""

    def __init__(self, user_ids: set[int], now: datetime):
        window = max(
            timedelta(hours=26), timedelta(days=settings.CANOPY_PUSH_SPONSOR_INTERVAL_DAYS)
        )
        self.sent: dict[int, list[tuple[str, datetime]]] = {}
        rows = OutboundMessage.objects.filter(
            user_id__in=user_ids, channel=PUSH, outcome=Outcome.SENT, sent_at__gt=now - window
        ).values_list("user_id", "topic", "sent_at")
        for user_id, topic, sent_at in rows:
            if sent_at is not None:
                self.sent.setdefault(user_id, []).append((topic, sent_at))

    def limit_reached(self, message: OutboundMessage, tz_name: str, now: datetime) -> str | None:
        """``over_budget`` or ``rate_limited`` when the user has had enough pushes lately."""
        if message.topic in REQUIRED_TOPICS:
            return None
        mine = self.sent.get(message.user_id, [])
        day_start = local_day_start(now, tz_name)
        today = [t for t, at in mine if at >= day_start and t not in REQUIRED_TOPICS]
        if len(today) >= settings.CANOPY_PUSH_DAILY_BUDGET:
            return Outcome.OVER_BUDGET
        interval = topic_min_interval(message.topic)
        if interval and any(t == message.topic and at > now - interval for t, at in mine):
            return Outcome.RATE_LIMITED
        return None

    def plan(self, message: OutboundMessage, now: datetime) -> None:
        self.sent.setdefault(message.user_id, []).append((message.topic, now))


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


def _check(
    message: OutboundMessage, recent: _Recent, devices: list[PushDevice], now: datetime
) -> str | None:
    """Settle a message that is not to be sent now (returning its outcome), or None to send."""
    user = message.user
    profile = _profile(user)
    if not (user.is_active and topic_allowed(profile, message.topic, PUSH)):
        return _finish(message, Outcome.SWITCHED_OFF)
    if _stale(message, now):
        return _finish(message, Outcome.STALE)
    quiet_end = quiet_hours_end(profile, now)
    if quiet_end is not None:  # the user went quiet (or changed zone) since it was recorded
        return _put_back(message, quiet_end)
    limited = recent.limit_reached(message, profile.time_zone, now)
    if limited:
        return _finish(message, limited)
    if not devices:
        return _finish(message, Outcome.NO_DEVICE)
    recent.plan(message, now)
    return None


def _record(message: OutboundMessage, results: dict[int, SendResult], now: datetime) -> str:
    """What FCM said for each device becomes the message's outcome; dead tokens are pruned."""
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


def _deliver_batch(client: FcmClient, ids: list[int], now: datetime, counts: Counter) -> None:
    """Check the claimed messages (a fixed number of queries for the batch, plus one update per
    message not sent), send them over parallel connections (no database work in the
    threads), and record the outcomes (two updates for all that went out cleanly)."""
    messages = list(
        OutboundMessage.objects.filter(pk__in=ids)
        .select_related("user__profile")
        .order_by("not_before", "id")
    )
    user_ids = {m.user_id for m in messages}
    recent = _Recent(user_ids, now)
    devices: dict[int, list[PushDevice]] = {}
    for device in PushDevice.objects.filter(
        user_id__in=user_ids, token_type=PushDevice.TokenType.FCM
    ).only("pk", "user_id", "token"):
        devices.setdefault(device.user_id, []).append(device)
    to_send: list[tuple[OutboundMessage, PushDevice, PushMessage]] = []
    planned: dict[int, OutboundMessage] = {}
    for message in messages:
        mine = devices.get(message.user_id, [])
        outcome = _check(message, recent, mine, now)
        if outcome is not None:
            counts[str(outcome)] += 1
            continue
        push = _push_message(message)
        planned[message.pk] = message
        to_send.extend((message, device, push) for device in mine)

    def send(item: tuple[OutboundMessage, PushDevice, PushMessage]) -> SendResult:
        try:
            return client.send(item[1].token, item[2])
        except Exception as exc:  # a bug must not lose the batch: treat as failed
            logger.exception("push %s to device %s", item[0].pk, item[1].pk)
            return SendResult("failed", f"{type(exc).__name__}: {exc}"[:500])

    results: dict[int, dict[int, SendResult]] = {pk: {} for pk in planned}
    with ThreadPoolExecutor(max_workers=SEND_THREADS) as pool:
        for (message, device, _push), result in zip(to_send, pool.map(send, to_send), strict=True):
            results[message.pk][device.pk] = result
    # The usual case, every device took it, is settled for the whole batch in two updates.
    clean = [pk for pk in planned if all(r.status == "ok" for r in results[pk].values())]
    if clean:
        OutboundMessage.objects.filter(pk__in=clean).update(
            outcome=Outcome.SENT, last_error="", attempts=F("attempts") + 1
        )
        PushDevice.objects.filter(pk__in=[d for pk in clean for d in results[pk]]).update(
            last_sent_at=now
        )
        counts[Outcome.SENT.value] += len(clean)
    for pk, message in planned.items():
        if pk not in clean:
            counts[str(_record(message, results[pk], now))] += 1


_channel_off_logged = False


def push_deliver_due(
    *, now: datetime | None = None, limit: int = DELIVER_BATCH_SIZE, max_batches: int = 0
) -> dict:
    """Claim and send the due pushes, batch after batch of ``limit`` until none is due, for
    at most ``CANOPY_PUSH_RUN_SECONDS`` (the next run goes on), or ``max_batches`` if given.
    Returns how many ended in each outcome (``held`` and ``retry`` for rows put back)."""
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
    started = time.monotonic()
    batches = 0
    while True:
        ids = _claim(now, limit)
        if not ids:
            break
        _deliver_batch(client, ids, now, counts)
        batches += 1
        if len(ids) < limit or (max_batches and batches >= max_batches):
            break
        if time.monotonic() - started > settings.CANOPY_PUSH_RUN_SECONDS:
            break
    return dict(counts)
