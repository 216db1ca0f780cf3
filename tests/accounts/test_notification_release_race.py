"""Two workers releasing held e-mails at the same moment send each one once (PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.core import mail
from django.db import transaction

from accounts.models import OutboundMessage
from accounts.services.notifications import outbound_release
from tests.accounts.factories import UserFactory
from tests.concurrency import race

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_a_held_e_mail_released_by_two_workers_at_once_goes_out_once():
    users = [UserFactory() for _ in range(5)]
    for n, user in enumerate(users):
        OutboundMessage.objects.create(
            user=user,
            channel="email",
            topic="consent",
            payload={"kind": "system", "title": f"Held {n}", "body": "Body"},
            not_before=datetime(2026, 11, 26, 7, 0, tzinfo=UTC),
            dedupe_key=f"race:{n}:email",
        )
    morning = datetime(2026, 11, 26, 7, 5, tzinfo=UTC)

    def release():
        with transaction.atomic():
            return outbound_release(now=morning)

    results, errors = race(release, [(), (), ()])

    assert errors == []
    assert sum(results) == 5
    assert sorted(m.subject for m in mail.outbox) == [f"Held {n}" for n in range(5)]
    assert not OutboundMessage.objects.filter(sent_at__isnull=True).exists()
