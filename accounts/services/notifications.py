"""Every notification goes through ``notification_dispatch``: inbox, e-mail and push.

* The inbox row is always written, once per ``dedupe_key``; a repeated dispatch sends nothing.
* E-mail goes out only if the user's e-mail channel and the topic are on. Consent reminders are
  legally required: they ignore both switches (never the quiet hours).
* Push is an ``OutboundMessage`` row (channel push), delivered through FCM to the user's
  devices by ``accounts.services.push`` (budget, rate limits and outcome there; docs/push.md).
  A moment meant for the phone only (the morning's ripe energy) passes ``inbox=False``; one
  whose inbox message is written elsewhere or summarised later passes ``push=False``.
* In the user's quiet hours (local time, may span midnight) e-mails and pushes wait in the
  outbox until the quiet hours end; ``outbound_release_task`` sends the e-mails then.
* E-mails of optional topics carry a signed one-click unsubscribe link and a
  ``List-Unsubscribe`` header.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMessage
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import Notification, OutboundMessage, Profile, User
from core.timezones import zone

logger = logging.getLogger(__name__)

# topic -> the Profile switch for it (None: cannot be switched off)
TOPICS: dict[str, str | None] = {
    "consent": None,
    "energy": "notify_energy",
    "trees": "notify_trees",
    "teams": "notify_teams",
    "sponsors": "notify_sponsors",
}
REQUIRED_TOPICS = frozenset({"consent"})
TOPIC_LABELS = {
    "consent": gettext_lazy("consent reminders"),
    "energy": gettext_lazy("your energy (ripe drops, friends taking energy)"),
    "trees": gettext_lazy("trees and planting"),
    "teams": gettext_lazy("teams"),
    "sponsors": gettext_lazy("sponsor news and campaigns"),
}
UNSUBSCRIBE_SALT = "accounts.notifications.unsubscribe"
# Held e-mails released per run; the task runs every 5 minutes, so this is ample.
RELEASE_BATCH_SIZE = 500


def _profile(user: User) -> Profile:
    profile = getattr(user, "profile", None)
    if profile is None:
        profile, _ = Profile.objects.get_or_create(user=user)
    return profile


def topic_allowed(profile: Profile, topic: str, channel: str) -> bool:
    """Whether ``topic`` may reach the user on ``channel`` (the inbox is always allowed)."""
    if channel == "inbox":
        return True
    if channel == OutboundMessage.Channel.EMAIL and topic in REQUIRED_TOPICS:
        return True
    enabled = (
        profile.email_enabled if channel == OutboundMessage.Channel.EMAIL else profile.push_enabled
    )
    switch = TOPICS[topic]
    return enabled and (switch is None or getattr(profile, switch))


def quiet_hours_end(profile: Profile, at: datetime) -> datetime | None:
    """When the quiet hours around ``at`` end (aware, UTC), or None when ``at`` is not in them.

    Start and end are local times in the user's time zone; start after end spans midnight
    (22:00 to 08:00). The end is exclusive: at 08:00 sharp a message goes out.
    """
    start, end = profile.quiet_hours_start, profile.quiet_hours_end
    if not profile.quiet_hours_enabled or start == end:
        return None
    tz = zone(profile.time_zone)
    local = at.astimezone(tz)
    now_t = local.time().replace(tzinfo=None)
    if start < end:
        quiet = start <= now_t < end
        end_day = local.date()
    else:
        quiet = now_t >= start or now_t < end
        end_day = local.date() + timedelta(days=1) if now_t >= start else local.date()
    if not quiet:
        return None
    return datetime.combine(end_day, end, tzinfo=tz).astimezone(UTC)


def unsubscribe_token(*, user_id: int, topic: str) -> str:
    return signing.dumps({"u": user_id, "t": topic}, salt=UNSUBSCRIBE_SALT, compress=True)


def unsubscribe_read(token: str) -> tuple[int, str] | None:
    """(user id, topic) from a signed token, or None when it is tampered with or unknown."""
    try:
        data = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict):
        return None
    user_id, topic = data.get("u"), data.get("t")
    if not isinstance(user_id, int) or not isinstance(topic, str) or TOPICS.get(topic) is None:
        return None
    return user_id, topic


def unsubscribe_url(*, user_id: int, topic: str) -> str:
    path = reverse(
        "notifications-unsubscribe", args=[unsubscribe_token(user_id=user_id, topic=topic)]
    )
    return getattr(settings, "SITE_URL", "http://127.0.0.1:8000").rstrip("/") + path


def topic_unsubscribe(*, user_id: int, topic: str) -> bool:
    """Turn the topic's e-mail off (the topic switch: it covers push too). True if it was on."""
    switch = TOPICS.get(topic)
    if switch is None:
        return False
    return bool(Profile.objects.filter(user_id=user_id, **{switch: True}).update(**{switch: False}))


def _email(user: User, topic: str, subject: str, body: str) -> EmailMessage:
    headers = {}
    if topic not in REQUIRED_TOPICS:
        url = unsubscribe_url(user_id=user.pk, topic=topic)
        with translation.override(_profile(user).locale):
            footer = _("Don't want these e-mails? Unsubscribe: %(url)s") % {"url": url}
        body = f"{body.rstrip()}\n\n-- \n{footer}\n"
        headers = {
            "List-Unsubscribe": f"<{url}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        }
    return EmailMessage(subject, body, None, [user.email], headers=headers)


def _send_email(user: User, topic: str, subject: str, body: str) -> None:
    _email(user, topic, subject, body).send()


def _send_logged(user: User, topic: str, subject: str, body: str, key: str) -> None:
    try:
        _send_email(user, topic, subject, body)
    except Exception:  # committed already: a mail failure must not turn into a 500
        logger.exception("notification %s: e-mail not sent", key)


def notification_dispatch(
    *,
    user_id: int,
    topic: str,
    kind: str,
    title: str,
    body: str,
    dedupe_key: str,
    email: bool = False,
    email_after_commit: bool = False,
    now: datetime | None = None,
    inbox: bool = True,
    push: bool = True,
    data: dict[str, str] | None = None,
    expires_at: datetime | None = None,
    collapse_key: str = "",
) -> bool:
    """Deliver one message: inbox (unless ``inbox=False``), e-mail (``email=True``) and push
    (unless ``push=False``) as the user allows.

    An e-mail outside quiet hours is sent at once: within the caller's transaction, so a
    failure raises and rolls the caller back (the consent sweep retries the next day), or with
    ``email_after_commit`` once the caller's transaction commits, failures logged. A push
    carries ``data`` (strings: the screen or link the app opens), is dropped unsent after
    ``expires_at``, and replaces an earlier one of the same ``collapse_key`` on the phone.
    Call it inside the user's language: the text is stored as given, with the language.
    Returns True when the message was new.
    """
    if topic not in TOPICS:
        raise ValueError(f"unknown notification topic {topic!r}")
    if inbox:
        _, created = Notification.objects.get_or_create(
            dedupe_key=dedupe_key,
            defaults={"user_id": user_id, "kind": kind, "title": title, "body": body},
        )
        if not created:
            return False
    now = now or timezone.now()
    user = User.objects.select_related("profile").get(pk=user_id)
    profile = _profile(user)
    release_at = quiet_hours_end(profile, now)
    payload: dict = {"kind": kind, "title": title, "body": body}
    if push and topic_allowed(profile, topic, OutboundMessage.Channel.PUSH):
        push_payload = {
            **payload,
            "locale": translation.get_language() or profile.locale,
            "data": data or {},
            "collapse_key": collapse_key,
            "expires_at": expires_at.isoformat() if expires_at else None,
        }
        _, pushed = OutboundMessage.objects.get_or_create(
            dedupe_key=f"{dedupe_key}:push",
            defaults={
                "user": user,
                "channel": OutboundMessage.Channel.PUSH,
                "topic": topic,
                "payload": push_payload,
                "not_before": release_at or now,
            },
        )
        if not inbox and not pushed:
            return False
    elif not inbox:
        return False
    if not (email and user.email and topic_allowed(profile, topic, OutboundMessage.Channel.EMAIL)):
        return True
    if release_at is not None:
        OutboundMessage.objects.get_or_create(
            dedupe_key=f"{dedupe_key}:email",
            defaults={
                "user": user,
                "channel": OutboundMessage.Channel.EMAIL,
                "topic": topic,
                "payload": payload,
                "not_before": release_at,
            },
        )
    elif email_after_commit:
        transaction.on_commit(partial(_send_logged, user, topic, title, body, dedupe_key))
    else:
        _send_email(user, topic, title, body)
    return True


@dataclass(frozen=True)
class PushSpec:
    """One user's push-only message for ``push_dispatch_many``, written in ``locale``."""

    user_id: int
    title: str
    body: str
    dedupe_key: str
    locale: str
    data: dict[str, str] = field(default_factory=dict)
    expires_at: datetime | None = None
    collapse_key: str = ""


def push_dispatch_many(
    *, topic: str, kind: str, pushes: list[PushSpec], now: datetime | None = None
) -> int:
    """Record many push-only messages (the daily moments: thousands of users each morning) in
    three queries per 500, as ``notification_dispatch(..., inbox=False)`` would one by one:
    the same switches, quiet hours and dedupe keys (``<key>:push``, unique: a rerun adds
    nothing). Returns how many were new."""
    if topic not in TOPICS:
        raise ValueError(f"unknown notification topic {topic!r}")
    now = now or timezone.now()
    created = 0
    for start in range(0, len(pushes), RELEASE_BATCH_SIZE):
        part = pushes[start : start + RELEASE_BATCH_SIZE]
        keys = [f"{p.dedupe_key}:push" for p in part]
        known = set(
            OutboundMessage.objects.filter(dedupe_key__in=keys).values_list("dedupe_key", flat=True)
        )
        users = {
            u.pk: u
            for u in User.objects.filter(
                pk__in=[p.user_id for p in part], is_active=True
            ).select_related("profile")
        }
        rows = []
        for spec, key in zip(part, keys, strict=True):
            user = users.get(spec.user_id)
            if key in known or user is None:
                continue
            profile = getattr(user, "profile", None) or Profile(user=user)
            if not topic_allowed(profile, topic, OutboundMessage.Channel.PUSH):
                continue
            payload = {
                "kind": kind,
                "title": spec.title,
                "body": spec.body,
                "locale": spec.locale,
                "data": spec.data,
                "collapse_key": spec.collapse_key,
                "expires_at": spec.expires_at.isoformat() if spec.expires_at else None,
            }
            rows.append(
                OutboundMessage(
                    user_id=spec.user_id,
                    channel=OutboundMessage.Channel.PUSH,
                    topic=topic,
                    payload=payload,
                    not_before=quiet_hours_end(profile, now) or now,
                    dedupe_key=key,
                )
            )
        OutboundMessage.objects.bulk_create(rows, ignore_conflicts=True)
        created += len(rows)
    return created


def outbound_release(*, now: datetime | None = None) -> int:
    """Send the held e-mails whose quiet hours are over. Returns how many went out.

    Each row is claimed with a conditional UPDATE (``sent_at`` still empty) before sending, so
    two workers running at once never send one message twice. A failed send un-claims the row
    for the next run. A topic switched off meanwhile is not sent (consent always is).
    """
    now = now or timezone.now()
    due = list(
        OutboundMessage.objects.filter(
            channel=OutboundMessage.Channel.EMAIL, sent_at__isnull=True, not_before__lte=now
        ).values_list("pk", flat=True)[:RELEASE_BATCH_SIZE]
    )
    sent = 0
    for pk in due:
        claimed = OutboundMessage.objects.filter(pk=pk, sent_at__isnull=True).update(sent_at=now)
        if claimed != 1:
            continue  # another worker has it
        message = OutboundMessage.objects.select_related("user__profile").get(pk=pk)
        user = message.user
        if not (
            user.is_active
            and user.email
            and topic_allowed(_profile(user), message.topic, OutboundMessage.Channel.EMAIL)
        ):
            # Claimed and dropped: unsubscribed, or the account was closed, since.
            OutboundMessage.objects.filter(pk=pk).update(
                last_error="not sent: topic switched off or account closed"
            )
            continue
        try:
            _send_email(user, message.topic, message.payload["title"], message.payload["body"])
        except Exception as exc:
            logger.exception("outbound message %s: e-mail not sent", pk)
            OutboundMessage.objects.filter(pk=pk).update(
                sent_at=None, attempts=message.attempts + 1, last_error=str(exc)[:1000]
            )
            continue
        OutboundMessage.objects.filter(pk=pk).update(attempts=message.attempts + 1)
        sent += 1
    return sent


def notify(
    *, user_id: int, kind: str, title: str, body: str, dedupe_key: str, topic: str = "trees"
) -> bool:
    """Inbox message (and push, as the user allows) through ``notification_dispatch``.

    Kept for callers written before the dispatch module; new code calls
    ``notification_dispatch`` with its topic.
    """
    return notification_dispatch(
        user_id=user_id, topic=topic, kind=kind, title=title, body=body, dedupe_key=dedupe_key
    )
