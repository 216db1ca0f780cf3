"""Push delivery: the real FCM client against a local fake of FCM's HTTP v1 API. Sent once,
invalid tokens pruned, 5xx and 429 retried with backoff, quiet hours, the daily budget, the
sponsors' rate limit, and the channel off without credentials."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest
import time_machine
from django.db import connection

from accounts.models import OutboundMessage, PushDevice
from accounts.services.devices import push_device_register
from accounts.services.notifications import PushSpec, notification_dispatch, push_dispatch_many
from accounts.services.push import push_deliver_due
from accounts.tasks import push_deliver_task
from tests.accounts.factories import UserFactory
from tests.accounts.fake_fcm import fcm_configured

pytestmark = pytest.mark.django_db

NOON = datetime(2026, 12, 5, 11, 0, tzinfo=UTC)  # 12:00 in Amsterdam


@pytest.fixture
def fcm(settings):
    with fcm_configured(settings) as fake:
        yield fake


def person(*tokens: str, **prefs):
    user = UserFactory()
    for name, value in prefs.items():
        setattr(user.profile, name, value)
    user.profile.save()
    for token in tokens:
        push_device_register(user_id=user.pk, token=token, platform="android")
    return user


def dispatch(user, key="k1", topic="energy", now=NOON, **kwargs) -> OutboundMessage | None:
    with time_machine.travel(now, tick=False):  # created_at too: staleness counts from it
        notification_dispatch(
            user_id=user.pk,
            topic=topic,
            kind="system",
            title="Je energie is rijp",
            body="120 g staat klaar.",
            dedupe_key=key,
            now=now,
            data={"screen": "home"},
            **kwargs,
        )
    return OutboundMessage.objects.filter(dedupe_key=f"{key}:push").first()


def test_a_push_goes_to_every_device_once_through_fcm_v1(fcm):
    user = person("phone-token", "tablet-token")
    message = dispatch(user)

    result = push_deliver_due(now=NOON)
    again = push_deliver_due(now=NOON + timedelta(minutes=1))  # the next run, or a retried one

    assert result == {"sent": 1} and again == {}
    assert sorted(fcm.delivered_to()) == ["phone-token", "tablet-token"]
    sent = fcm.sends[0]["message"]
    assert sent["notification"] == {"title": "Je energie is rijp", "body": "120 g staat klaar."}
    assert sent["data"] == {
        "screen": "home",
        "kind": "system",
        "topic": "energy",
        "message_id": str(message.pk),
    }
    # OAuth 2 from the service account's key, through its token_uri, reused for both sends.
    assert fcm.auth_headers == ["Bearer ya29.fake"] * 2 and fcm.token_requests == 1
    message.refresh_from_db()
    assert message.outcome == "sent" and message.sent_at == NOON and message.attempts == 1
    assert PushDevice.objects.filter(user=user, last_sent_at=NOON).count() == 2


def test_the_project_id_comes_from_the_key_and_the_url_is_fcms(fcm):
    dispatch(person("phone-token"))

    push_deliver_due(now=NOON)

    # The fake answers only /v1/projects/<the key's project>/messages:send.
    assert fcm.delivered_to() == ["phone-token"]
    assert fcm.sends[0]["message"]["android"]["ttl"] == "86400s"


@pytest.mark.parametrize("answer", ["unregistered", "invalid"])
def test_a_token_fcm_calls_invalid_is_pruned(fcm, answer):
    user = person("old-token", "new-token")
    getattr(fcm, answer).add("old-token")
    message = dispatch(user)

    push_deliver_due(now=NOON)

    assert list(PushDevice.objects.filter(user=user).values_list("token", flat=True)) == [
        "new-token"
    ]
    message.refresh_from_db()
    code = {"unregistered": "404 UNREGISTERED", "invalid": "400 INVALID_ARGUMENT"}[answer]
    assert message.outcome == "sent" and code in message.last_error
    assert fcm.delivered_to() == ["new-token"]


def test_when_every_token_is_invalid_the_message_ends_with_no_device(fcm):
    user = person("gone-token")
    fcm.unregistered.add("gone-token")
    message = dispatch(user)

    push_deliver_due(now=NOON)

    message.refresh_from_db()
    assert message.outcome == "no_device" and not PushDevice.objects.filter(user=user).exists()


def test_a_5xx_is_retried_with_backoff_and_then_sent_once(fcm):
    user = person("phone-token")
    fcm.script["phone-token"] = [503, 500]
    message = dispatch(user)

    with time_machine.travel(NOON, tick=False):
        first = push_deliver_task.delay().get()
    message.refresh_from_db()
    assert first == {"retry": 1}
    assert message.sent_at is None and message.attempts == 1 and "UNAVAILABLE" in message.last_error
    assert NOON + timedelta(seconds=30) <= message.not_before <= NOON + timedelta(seconds=37)
    assert push_deliver_due(now=NOON + timedelta(seconds=10)) == {}  # not due yet

    second = push_deliver_due(now=message.not_before)
    message.refresh_from_db()
    assert second == {"retry": 1} and message.attempts == 2
    third = push_deliver_due(now=message.not_before)

    assert third == {"sent": 1}
    assert [s["_status"] for s in fcm.sends] == [503, 500, 200]
    message.refresh_from_db()
    assert message.outcome == "sent" and message.attempts == 3


def test_quota_exceeded_waits_as_long_as_fcm_asks(fcm):
    user = person("phone-token")
    fcm.script["phone-token"] = [429]
    message = dispatch(user)

    push_deliver_due(now=NOON)

    message.refresh_from_db()
    assert message.not_before >= NOON + timedelta(seconds=120)  # Retry-After: 120


def test_transient_failures_give_up_after_the_last_attempt(fcm, settings):
    settings.CANOPY_PUSH_MAX_ATTEMPTS = 2
    user = person("phone-token")
    fcm.script["phone-token"] = [503, 503, 503]
    message = dispatch(user)

    push_deliver_due(now=NOON)
    message.refresh_from_db()
    push_deliver_due(now=message.not_before)

    message.refresh_from_db()
    assert message.outcome == "failed" and message.attempts == 2 and message.sent_at is not None
    assert len(fcm.sends) == 2


def test_a_user_who_went_quiet_since_gets_it_when_the_quiet_hours_end(fcm):
    user = person("phone-token")
    message = dispatch(user)
    profile = user.profile
    profile.quiet_hours_enabled = True
    profile.quiet_hours_start, profile.quiet_hours_end = time(11, 0), time(14, 0)
    profile.save()

    assert push_deliver_due(now=NOON) == {"held": 1}
    message.refresh_from_db()
    assert message.sent_at is None and message.not_before == datetime(
        2026, 12, 5, 13, 0, tzinfo=UTC
    )
    assert fcm.sends == []

    assert push_deliver_due(now=message.not_before) == {"sent": 1}


def test_the_daily_budget_holds_and_consent_reminders_are_exempt(fcm, settings):
    settings.CANOPY_PUSH_DAILY_BUDGET = 2
    user = person("phone-token")
    for n in range(3):
        dispatch(user, key=f"energy-{n}")
    dispatch(user, key="consent", topic="consent")

    result = push_deliver_due(now=NOON)
    tomorrow = dispatch(user, key="tomorrow", now=NOON + timedelta(days=1))
    later = push_deliver_due(now=NOON + timedelta(days=1))

    assert result == {"sent": 3, "over_budget": 1}
    over = OutboundMessage.objects.get(dedupe_key="energy-2:push")
    assert over.outcome == "over_budget"
    assert OutboundMessage.objects.get(dedupe_key="consent:push").outcome == "sent"
    assert later == {"sent": 1} and tomorrow is not None  # a new local day, a new budget
    assert len(fcm.delivered_to()) == 4


def test_sponsor_news_is_rate_limited_to_one_a_week(fcm):
    user = person("phone-token", notify_sponsors=True)
    dispatch(user, key="campaign-1", topic="sponsors")
    push_deliver_due(now=NOON)
    dispatch(user, key="campaign-2", topic="sponsors", now=NOON + timedelta(days=3))
    dispatch(user, key="campaign-3", topic="sponsors", now=NOON + timedelta(days=8))

    mid = push_deliver_due(now=NOON + timedelta(days=3))
    week = push_deliver_due(now=NOON + timedelta(days=8))

    assert mid == {"rate_limited": 1} and week == {"sent": 1}
    assert len(fcm.delivered_to()) == 2


def test_a_topic_switched_off_after_recording_is_not_sent(fcm):
    user = person("phone-token")
    message = dispatch(user)
    user.profile.notify_energy = False
    user.profile.save()

    push_deliver_due(now=NOON)

    message.refresh_from_db()
    assert message.outcome == "switched_off" and fcm.sends == []


def test_a_stale_push_is_dropped(fcm):
    user = person("phone-token")
    message = dispatch(user, expires_at=NOON + timedelta(hours=1))

    push_deliver_due(now=NOON + timedelta(hours=2))

    message.refresh_from_db()
    assert message.outcome == "stale" and fcm.sends == []


def test_a_user_without_devices_is_recorded_as_such(fcm):
    message = dispatch(person())

    push_deliver_due(now=NOON)

    message.refresh_from_db()
    assert message.outcome == "no_device" and fcm.sends == []


def test_without_credentials_the_channel_is_off_and_says_so(settings, caplog):
    settings.CANOPY_PUSH_FCM_CREDENTIALS_JSON = ""
    settings.CANOPY_PUSH_FCM_CREDENTIALS_FILE = ""
    message = dispatch(person("phone-token"))

    with caplog.at_level("INFO"):
        result = push_deliver_due(now=NOON)

    assert result == {"channel_off": 1}
    message.refresh_from_db()
    assert message.outcome == "channel_off"


def test_the_worker_says_at_start_whether_the_channel_is_on(settings, caplog):
    from accounts.apps import _log_push_channel

    settings.CANOPY_PUSH_FCM_CREDENTIALS_JSON = ""
    settings.CANOPY_PUSH_FCM_CREDENTIALS_FILE = ""
    with caplog.at_level("INFO", logger="accounts.push"):
        _log_push_channel()

    assert "push channel off" in caplog.text


def test_credentials_from_a_key_file(fcm, settings, tmp_path):
    key = tmp_path / "service-account.json"
    key.write_text(settings.CANOPY_PUSH_FCM_CREDENTIALS_JSON)
    settings.CANOPY_PUSH_FCM_CREDENTIALS_JSON = ""
    settings.CANOPY_PUSH_FCM_CREDENTIALS_FILE = str(key)
    dispatch(person("phone-token"))

    assert push_deliver_due(now=NOON) == {"sent": 1}


def test_the_schedule_runs_delivery_every_minute():
    from core.schedules import DEFAULT_SCHEDULES

    task, cron, _ = DEFAULT_SCHEDULES["accounts: deliver pushes"]
    assert task == "accounts.tasks.push_deliver_task" and cron["minute"] == "*"


@time_machine.travel(NOON, tick=False)
def test_the_task_delivers_what_is_due_now(fcm):
    dispatch(person("phone-token"))

    assert push_deliver_task.delay().get() == {"sent": 1}


def test_a_run_goes_on_batch_after_batch_until_nothing_is_due(fcm):
    for n in range(5):
        dispatch(person(f"phone-{n}"), key=f"k{n}")

    first = push_deliver_due(now=NOON, limit=2, max_batches=1)
    rest = push_deliver_due(now=NOON, limit=2)

    assert first == {"sent": 2} and rest == {"sent": 3}
    assert len(fcm.delivered_to()) == 5


def test_a_batch_costs_a_fixed_number_of_queries(fcm, django_assert_max_num_queries):
    for n in range(3):
        dispatch(person(f"phone-{n}"), key=f"k{n}")
    push_deliver_due(now=NOON)  # the client's first use; warm
    for n in range(3, 23):
        dispatch(person(f"phone-{n}"), key=f"k{n}")

    # Claim (2; one conditional UPDATE per row without SKIP LOCKED), messages, recent pushes,
    # devices, the outcomes and the devices' last_sent_at, and the next (empty) claim.
    claim = 0 if connection.features.has_select_for_update_skip_locked else 20
    with django_assert_max_num_queries(10 + claim):
        assert push_deliver_due(now=NOON) == {"sent": 20}


# -- push_dispatch_many: the daily moments for many users at once --------------------------------


def spec(user, key="m1", **kwargs) -> PushSpec:
    return PushSpec(
        user_id=user.pk, title="Rijp", body="Oogsten", dedupe_key=key, locale="nl", **kwargs
    )


def test_many_pushes_are_recorded_once_each_in_a_few_queries(django_assert_max_num_queries):
    users = [person() for _ in range(30)]
    pushes = [spec(u, key=f"ripe:{u.pk}") for u in users]

    with django_assert_max_num_queries(4):
        created = push_dispatch_many(topic="energy", kind="system", pushes=pushes, now=NOON)
    again = push_dispatch_many(topic="energy", kind="system", pushes=pushes, now=NOON)

    assert created == 30 and again == 0
    assert OutboundMessage.objects.filter(channel="push").count() == 30


def test_many_pushes_respect_switches_accounts_and_quiet_hours():
    on = person()
    off = person(notify_energy=False)
    no_push = person(push_enabled=False)
    closed = person()
    type(closed).objects.filter(pk=closed.pk).update(is_active=False)
    quiet = person(
        quiet_hours_enabled=True, quiet_hours_start=time(11, 0), quiet_hours_end=time(14, 0)
    )
    pushes = [spec(u, key=f"k{u.pk}") for u in (on, off, no_push, closed, quiet)]

    push_dispatch_many(topic="energy", kind="system", pushes=pushes, now=NOON)

    rows = {m.user_id: m for m in OutboundMessage.objects.filter(channel="push")}
    assert set(rows) == {on.pk, quiet.pk}
    assert rows[on.pk].not_before == NOON
    assert rows[quiet.pk].not_before == datetime(2026, 12, 5, 13, 0, tzinfo=UTC)
    assert rows[on.pk].payload["locale"] == "nl" and rows[on.pk].payload["title"] == "Rijp"
