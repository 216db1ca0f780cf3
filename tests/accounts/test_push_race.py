"""Workers delivering pushes at the same moment send each one once (FOR UPDATE SKIP LOCKED),
and one user registering many devices at once stays within the limit (PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine

from accounts.models import OutboundMessage, PushDevice
from accounts.services.devices import DeviceLimitReached, push_device_register
from accounts.services.push import push_deliver_due
from tests.accounts.factories import UserFactory
from tests.accounts.fake_fcm import fcm_configured
from tests.concurrency import race

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

NOON = datetime(2026, 12, 5, 11, 0, tzinfo=UTC)


def test_three_workers_deliver_each_push_once(settings):
    users = [UserFactory() for _ in range(12)]
    with time_machine.travel(NOON, tick=False):
        for n, user in enumerate(users):
            push_device_register(user_id=user.pk, token=f"phone-{n}", platform="android")
            OutboundMessage.objects.create(
                user=user, channel="push", topic="energy", not_before=NOON,
                payload={"kind": "system", "title": f"Push {n}", "body": "Body"},
                dedupe_key=f"race:{n}:push",
            )  # fmt: skip

    with fcm_configured(settings) as fcm, time_machine.travel(NOON, tick=False):
        results, errors = race(lambda: push_deliver_due(now=NOON, limit=5), [(), (), ()])
        rest = push_deliver_due(now=NOON)  # what three batches of five left

    assert errors == []
    assert sum(r.get("sent", 0) for r in results) + rest.get("sent", 0) == 12
    assert sorted(fcm.delivered_to()) == sorted(f"phone-{n}" for n in range(12))
    assert OutboundMessage.objects.filter(outcome="sent").count() == 12


def test_registering_many_devices_at_once_keeps_the_limit(settings):
    settings.CANOPY_PUSH_MAX_DEVICES = 3
    user = UserFactory()

    def register(token):
        try:
            return push_device_register(user_id=user.pk, token=token, platform="ios").created
        except DeviceLimitReached:
            return "refused"

    results, errors = race(register, [(f"token-{n}",) for n in range(6)])

    assert errors == []
    assert sorted(map(str, results)) == ["True"] * 3 + ["refused"] * 3
    assert PushDevice.objects.filter(user=user).count() == 3
