"""The daily consent sweep: nudges 14 and 7 days ahead (inbox + e-mail), expiry at T."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core import mail

from accounts.models import Consent, LinkedFeed, Notification
from accounts.services.consent_sweep import consent_sweep
from accounts.services.importing import FeedNotImportable
from accounts.tasks import consent_sweep_task
from tests.accounts.factories import ConsentFactory, LinkedFeedFactory
from tests.accounts.feed_helpers import import_fixture

pytestmark = pytest.mark.django_db

GRANTED = datetime(2026, 6, 1, 6, 0, tzinfo=UTC)  # expires at 06:00, before the 07:00 sweep
EXPIRES = GRANTED + timedelta(days=180)


@pytest.fixture
def feed(user):
    return LinkedFeedFactory(
        user=user,
        provider="file",
        display_name="ING Betaalrekening",
        consent__granted_at=GRANTED,
        consent__expires_at=EXPIRES,
    )


def _sweep_at(moment: datetime) -> dict:
    with time_machine.travel(moment, tick=False):
        return consent_sweep_task.delay().get()


def test_nudges_go_out_once_at_14_and_7_days_and_the_feed_expires_at_t(user, feed):
    # Daily runs at 07:00 from 20 days before expiry until 2 days after.
    sent = {}
    day = EXPIRES.replace(hour=7, minute=0) - timedelta(days=20)
    while day < EXPIRES + timedelta(days=2):
        sent[day.date()] = _sweep_at(day)
        _sweep_at(day + timedelta(hours=1))  # a retried run the same morning changes nothing
        day += timedelta(days=1)

    nudged_14 = [d for d, result in sent.items() if result["nudged_14"]]
    nudged_7 = [d for d, result in sent.items() if result["nudged_7"]]
    expired = [d for d, result in sent.items() if result["expired"]]
    assert nudged_14 == [(EXPIRES - timedelta(days=14)).date()]
    assert nudged_7 == [(EXPIRES - timedelta(days=7)).date()]
    assert expired == [EXPIRES.date()]
    kinds = list(Notification.objects.filter(user=user).values_list("kind", flat=True))
    assert sorted(kinds) == ["consent_expired", "consent_expiring", "consent_expiring"]
    assert len(mail.outbox) == 3
    assert all(message.to == [user.email] for message in mail.outbox)
    feed.refresh_from_db()
    assert feed.status == LinkedFeed.Status.EXPIRED
    consent = Consent.objects.get(feed=feed)
    assert consent.nudged_14_at and consent.nudged_7_at and consent.expired_at


def test_the_feed_expires_on_the_first_sweep_at_or_after_expiry(feed):
    assert _sweep_at(EXPIRES - timedelta(seconds=1))["expired"] == 0
    feed.refresh_from_db()
    assert feed.status == "active"

    assert _sweep_at(EXPIRES)["expired"] == 1

    feed.refresh_from_db()
    assert feed.status == "expired"


def test_nudges_are_in_the_users_language(user, feed):
    user.profile.locale = "nl"
    user.profile.save(update_fields=["locale"])
    _sweep_at(EXPIRES - timedelta(days=14))
    english = LinkedFeedFactory(
        provider="file", consent__granted_at=GRANTED, consent__expires_at=EXPIRES
    )
    english.user.profile.locale = "en"
    english.user.profile.save(update_fields=["locale"])
    mail.outbox.clear()

    _sweep_at(EXPIRES - timedelta(days=7))

    dutch = Notification.objects.filter(user=user).order_by("id")
    assert dutch[0].title == "Je bankkoppeling ING Betaalrekening verloopt over 14 dagen"
    assert "Verleng je toestemming" in dutch[0].body
    by_user = {message.to[0]: message for message in mail.outbox}
    assert by_user[user.email].subject.startswith("Je bankkoppeling")
    assert by_user[english.user.email].subject.endswith("expires in 7 days")
    assert "Renew your consent" in by_user[english.user.email].body


def test_a_sweep_that_missed_the_14_day_mark_sends_only_the_7_day_nudge(feed):
    result = _sweep_at(EXPIRES - timedelta(days=6))

    assert (result["nudged_14"], result["nudged_7"]) == (0, 1)
    assert _sweep_at(EXPIRES - timedelta(days=5)) == {"nudged_14": 0, "nudged_7": 0, "expired": 0}
    assert len(mail.outbox) == 1


def test_a_renewed_consent_is_not_nudged_for_the_old_one(feed):
    ConsentFactory(
        feed=feed, granted_at=EXPIRES - timedelta(days=20), expires_at=EXPIRES + timedelta(days=160)
    )

    result = _sweep_at(EXPIRES - timedelta(days=14))
    expiry = _sweep_at(EXPIRES + timedelta(hours=1))

    assert result["nudged_14"] == 0
    assert expiry["expired"] == 0
    feed.refresh_from_db()
    assert feed.status == "active"
    assert not mail.outbox


def test_revoked_feeds_are_not_nudged(user, user_client, feed):
    user_client.delete(f"/api/v1/feeds/{feed.pk}")

    assert _sweep_at(EXPIRES - timedelta(days=14))["nudged_14"] == 0
    assert not mail.outbox


def test_an_expired_feed_refuses_imports_until_consent_is_renewed(user, user_client, feed):
    _sweep_at(EXPIRES + timedelta(hours=1))

    with pytest.raises(FeedNotImportable):
        import_fixture(feed, "week1.csv")
    with time_machine.travel(EXPIRES + timedelta(days=1), tick=False):
        renewed = user_client.post(
            f"/api/v1/feeds/{feed.pk}/consent",
            {"scopes": ["transactions"], "purpose_accepted": True},
        )
        assert renewed.status_code == 201
        assert import_fixture(feed, "week1.csv").count_new == 4


def test_one_failing_mail_does_not_stop_the_others(feed, monkeypatch):
    other = LinkedFeedFactory(
        provider="file", consent__granted_at=GRANTED, consent__expires_at=EXPIRES
    )
    from accounts.services import notifications

    real_send = notifications._send_email

    def flaky_send(user, topic, subject, body):
        if user.email == feed.user.email:
            raise ConnectionError("smtp down")
        return real_send(user, topic, subject, body)

    # E-mails go out through the notification dispatch (accounts.services.notifications).
    monkeypatch.setattr(notifications, "_send_email", flaky_send)

    with time_machine.travel(EXPIRES - timedelta(days=14), tick=False):
        result = consent_sweep()

    assert result.nudged_14 == 1
    assert [message.to for message in mail.outbox] == [[other.user.email]]
    # The failed nudge was rolled back, so the next run sends it.
    assert Consent.objects.get(feed=feed).nudged_14_at is None
    assert not Notification.objects.filter(user=feed.user).exists()
