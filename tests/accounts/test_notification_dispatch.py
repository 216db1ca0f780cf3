"""notification_dispatch: inbox always, e-mail and push as topic and channel allow, held
through quiet hours (local time, across midnight and time zones) and released once after."""

from __future__ import annotations

from datetime import UTC, datetime, time

import pytest
import time_machine
from django.core import mail

from accounts.models import Notification, OutboundMessage
from accounts.services.notifications import notification_dispatch, outbound_release, quiet_hours_end
from accounts.tasks import outbound_release_task
from tests.accounts.factories import UserFactory

pytestmark = pytest.mark.django_db


def person(tz="Europe/Amsterdam", quiet=(time(22, 0), time(8, 0)), **prefs):
    user = UserFactory()
    profile = user.profile
    profile.time_zone = tz
    profile.quiet_hours_enabled = quiet is not None
    if quiet:
        profile.quiet_hours_start, profile.quiet_hours_end = quiet
    for name, value in prefs.items():
        setattr(profile, name, value)
    profile.save()
    return user


def send(user, topic="teams", key="k1", now=None, **kwargs):
    return notification_dispatch(
        user_id=user.pk,
        topic=topic,
        kind="system",
        title="Hello",
        body="A message.",
        dedupe_key=key,
        email=True,
        now=now,
        **kwargs,
    )


def test_the_inbox_is_written_once_and_the_e_mail_sent_once():
    user = person(quiet=None)

    assert send(user) is True
    assert send(user) is False

    assert Notification.objects.filter(user=user).count() == 1
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [user.email]
    assert mail.outbox[0].subject == "Hello"


@pytest.mark.parametrize(
    ("prefs", "topic", "emailed"),
    [
        ({}, "teams", True),
        ({"notify_teams": False}, "teams", False),
        ({"email_enabled": False}, "teams", False),
        ({}, "sponsors", False),  # marketing: opt-in only
        ({"notify_sponsors": True}, "sponsors", True),
        ({"email_enabled": False}, "consent", True),  # legally required
    ],
)
def test_e_mail_follows_channel_and_topic(prefs, topic, emailed):
    user = person(quiet=None, **prefs)

    send(user, topic=topic)

    assert Notification.objects.filter(user=user).count() == 1  # the inbox, always
    assert len(mail.outbox) == int(emailed)


def test_push_is_recorded_for_the_gateway_unless_switched_off():
    on, off = person(quiet=None), person(quiet=None, push_enabled=False)

    send(on, key="a")
    send(off, key="b")

    push = OutboundMessage.objects.get(channel="push")
    assert push.user == on and push.sent_at is None and push.payload["title"] == "Hello"
    assert not OutboundMessage.objects.filter(user=off).exists()


def test_optional_topics_carry_an_unsubscribe_link_and_header_consent_does_not():
    user = person(quiet=None)

    send(user, topic="teams", key="a")
    send(user, topic="consent", key="b")

    teams, consent = mail.outbox
    assert "/notifications/unsubscribe/" in teams.body
    assert teams.extra_headers["List-Unsubscribe"].startswith("<http")
    assert teams.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "unsubscribe" not in consent.body.lower()
    assert "List-Unsubscribe" not in consent.extra_headers


@pytest.mark.parametrize(
    ("moment", "tz", "quiet", "release"),
    [
        # 23:30 in Amsterdam (CET, UTC+1): held until 08:00 local the next day = 07:00 UTC
        (datetime(2026, 11, 25, 22, 30, tzinfo=UTC), "Europe/Amsterdam", (22, 8), (26, 7)),
        # 02:00 local, after midnight: until 08:00 the same day
        (datetime(2026, 11, 25, 1, 0, tzinfo=UTC), "Europe/Amsterdam", (22, 8), (25, 7)),
        # summer time (CEST, UTC+2): 08:00 local is 06:00 UTC
        (datetime(2026, 7, 1, 21, 0, tzinfo=UTC), "Europe/Amsterdam", (22, 8), (2, 6)),
        # 21:30 UTC is 16:30 in New York: not quiet there
        (datetime(2026, 11, 25, 21, 30, tzinfo=UTC), "America/New_York", (22, 8), None),
        # 05:00 UTC is 14:00 in Tokyo, quiet 13:00-15:00 (not across midnight)
        (datetime(2026, 11, 25, 5, 0, tzinfo=UTC), "Asia/Tokyo", (13, 15), (25, 6)),
        # the end is exclusive: 08:00 local sharp is not quiet
        (datetime(2026, 11, 25, 7, 0, tzinfo=UTC), "Europe/Amsterdam", (22, 8), None),
        (datetime(2026, 11, 25, 21, 0, tzinfo=UTC), "Europe/Amsterdam", (22, 8), (26, 7)),
    ],
)
def test_quiet_hours_end_in_the_users_local_time(moment, tz, quiet, release):
    user = person(tz=tz, quiet=(time(quiet[0]), time(quiet[1])))

    end = quiet_hours_end(user.profile, moment)

    if release is None:
        assert end is None
    else:
        day, hour = release
        assert end == moment.replace(day=day, hour=hour, minute=0)


def test_a_message_in_quiet_hours_waits_and_goes_out_once_when_they_end():
    user = person()  # 22:00-08:00 Amsterdam
    night = datetime(2026, 11, 25, 22, 30, tzinfo=UTC)  # 23:30 local

    with time_machine.travel(night, tick=False):
        send(user, topic="consent")
    assert Notification.objects.filter(user=user).exists()  # the inbox does not wait
    assert not mail.outbox
    held = OutboundMessage.objects.get(channel="email")
    assert held.not_before == datetime(2026, 11, 26, 7, 0, tzinfo=UTC)

    with time_machine.travel(datetime(2026, 11, 26, 6, 59, tzinfo=UTC), tick=False):
        assert outbound_release_task.delay().get() == 0  # 07:59 local: still quiet
    with time_machine.travel(datetime(2026, 11, 26, 7, 0, tzinfo=UTC), tick=False):
        assert outbound_release_task.delay().get() == 1
        assert outbound_release_task.delay().get() == 0

    assert len(mail.outbox) == 1
    held.refresh_from_db()
    assert held.sent_at == datetime(2026, 11, 26, 7, 0, tzinfo=UTC)


def test_a_topic_switched_off_while_held_is_not_sent():
    user = person()
    with time_machine.travel(datetime(2026, 11, 25, 23, 0, tzinfo=UTC), tick=False):
        send(user, topic="energy")
    user.profile.notify_energy = False
    user.profile.save(update_fields=["notify_energy"])

    assert outbound_release(now=datetime(2026, 11, 26, 8, 0, tzinfo=UTC)) == 0
    assert not mail.outbox
    dropped = OutboundMessage.objects.get(channel="email")
    assert dropped.sent_at is not None and dropped.last_error.startswith("not sent")


def test_a_failed_release_is_tried_again(monkeypatch):
    from accounts.services import notifications

    user = person()
    with time_machine.travel(datetime(2026, 11, 25, 23, 0, tzinfo=UTC), tick=False):
        send(user, topic="consent")

    def down(*args):
        raise ConnectionError("smtp down")

    morning = datetime(2026, 11, 26, 8, 0, tzinfo=UTC)
    monkeypatch.setattr(notifications, "_send_email", down)
    assert outbound_release(now=morning) == 0
    held = OutboundMessage.objects.get(channel="email")
    assert held.sent_at is None and held.attempts == 1 and "smtp down" in held.last_error

    monkeypatch.undo()
    assert outbound_release(now=morning) == 1
    assert len(mail.outbox) == 1


def test_consent_sweep_nudges_wait_for_the_end_of_quiet_hours():
    """The daily sweep runs at 07:00 Amsterdam: the e-mail goes out at 08:00."""
    from tests.accounts.factories import LinkedFeedFactory

    user = person()
    expires = datetime(2026, 12, 9, 6, 0, tzinfo=UTC)
    LinkedFeedFactory(user=user, consent__granted_at=datetime(2026, 6, 12, tzinfo=UTC),
                      consent__expires_at=expires)  # fmt: skip
    from accounts.services.consent_sweep import consent_sweep

    with time_machine.travel(datetime(2026, 11, 25, 6, 0, tzinfo=UTC), tick=False):
        assert consent_sweep().nudged_14 == 1

    assert Notification.objects.filter(user=user, kind="consent_expiring").exists()
    assert not mail.outbox
    assert outbound_release(now=datetime(2026, 11, 25, 7, 0, tzinfo=UTC)) == 1
    assert mail.outbox[0].to == [user.email]


def test_an_erased_account_gets_nothing_held():
    user = person()
    with time_machine.travel(datetime(2026, 11, 25, 23, 0, tzinfo=UTC), tick=False):
        send(user, topic="consent")
    user.is_active = False
    user.save(update_fields=["is_active"])

    assert outbound_release(now=datetime(2026, 11, 26, 8, 0, tzinfo=UTC)) == 0
    assert not mail.outbox


def test_the_release_is_a_default_periodic_task():
    from core.schedules import DEFAULT_SCHEDULES

    task, cron, _ = DEFAULT_SCHEDULES["accounts: release held notifications"]
    assert task == "accounts.tasks.outbound_release_task"
    assert cron["minute"] == "*/5"


def test_an_unknown_topic_is_a_programming_error():
    with pytest.raises(ValueError, match="unknown notification topic"):
        send(person(quiet=None), topic="gossip")


def test_different_users_in_one_moment():
    night_ams = datetime(2026, 11, 25, 22, 30, tzinfo=UTC)  # 23:30 Amsterdam, 17:30 New York
    ams, nyc = person(), person(tz="America/New_York")

    with time_machine.travel(night_ams, tick=False):
        send(ams, key="a")
        send(nyc, key="b")

    assert [m.to for m in mail.outbox] == [[nyc.email]]
    assert OutboundMessage.objects.filter(channel="email").get().user == ams
