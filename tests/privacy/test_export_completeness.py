"""Every model that points at the user is exported or documented as not exported, with why."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.db import models
from rest_framework.test import APIClient

from tests.accounts.factories import UserFactory

pytestmark = pytest.mark.django_db

DOC = Path(__file__).resolve().parents[2] / "docs" / "privacy.md"

#: "app.Model.field" -> the export section that holds those rows.
EXPORTED = {
    "accounts.Profile.user": "profile",
    "accounts.PushDevice.user": "push_devices",
    "accounts.LinkedFeed.user": "feeds",
    "accounts.Consent.user": "consents",
    "accounts.Friendship.user_low": "friendships",
    "accounts.Friendship.user_high": "friendships",
    "accounts.Notification.user": "notifications",
    "accounts.Transaction.user": "transactions",
    "catalogue.SponsorMembership.user": "sponsor_memberships",
    "forest.GreenAction.user": "green_actions",
    "forest.UserBadge.user": "badges",
    "forest.ChallengeParticipation.user": "challenges",
    "forest.EnergyDrop.user": "drops",
    "forest.EnergyLedgerEntry.user": "ledger",
    "forest.EnergyBalance.user": "balances",
    "forest.FraudSignal.user": "fraud_reviews",
    "forest.EnergyHold.user": "holds",
    "forest.TeamMembership.user": "team_memberships",
    "forest.TeamInvitation.invited_user": "team_invitations",
    "forest.Tree.owner": "trees",
    "forest.TreeContribution.user": "tree_contributions",
    "partners.ClaimCode.redeemed_by": "claim_codes",
}


def _soft_user_key(field) -> bool:
    """A plain integer column holding a user's id without a foreign key (the scoring outbox
    keeps one, so queueing costs no constraint check): it holds data about the user too."""
    return (
        isinstance(field, models.IntegerField)
        and not field.is_relation
        and (field.name == "user_id" or field.name.endswith("_user_id"))
    )


def _user_keys() -> set[str]:
    user_model = get_user_model()
    return {
        f"{model._meta.label}.{field.name}"
        for model in apps.get_models()
        for field in model._meta.get_fields()
        if field.concrete
        and (
            ((field.many_to_one or field.one_to_one) and field.related_model is user_model)
            or _soft_user_key(field)
        )
    }


def _documented_not_exported() -> dict[str, str]:
    section = DOC.read_text().split("### Held but not exported", 1)[1]
    return {
        key: reason.strip()
        for key, reason in re.findall(r"^\| `([\w.]+)` \|([^|]+)\|", section, re.MULTILINE)
    }


def _export_doc(user) -> dict:
    client = APIClient()
    client.force_authenticate(user=user)
    response = client.get("/api/v1/me/export")
    assert response.status_code == 200
    return json.loads(b"".join(response.streaming_content).decode())


def test_every_foreign_key_to_the_user_is_exported_or_explained():
    documented = _documented_not_exported()
    exported_sections = set(_export_doc(UserFactory()))
    missing = []
    for key in sorted(_user_keys()):
        if key in EXPORTED:
            assert EXPORTED[key] in exported_sections, f"{key}: no {EXPORTED[key]!r} section"
        elif not documented.get(key):
            missing.append(key)
    assert not missing, f"Export these or list them in docs/privacy.md with why: {missing}"


def test_the_documented_list_names_only_real_fields():
    """A stale line (a removed field) would hide nothing, but it misleads: it must go too."""
    real = _user_keys()
    assert set(_documented_not_exported()) <= real
    assert not set(_documented_not_exported()) & set(EXPORTED)


def test_badges_challenges_level_holds_and_reviews_are_the_users_own():
    from django.utils import timezone

    from forest.models import BadgeCode, ChallengeParticipation, FraudSignal, UserBadge
    from tests.forest.achievement_factories import ChallengeFactory, green_action
    from tests.forest.fraud_factories import EnergyHoldFactory, FraudSignalFactory

    now = timezone.now()
    user, other = UserFactory(), UserFactory()
    challenge = ChallengeFactory(code="rail-week")
    for who in (user, other):
        UserBadge.objects.create(user=who, badge=BadgeCode.values[0], earned_at=now)
        ChallengeParticipation.objects.create(challenge=challenge, user=who, joined_at=now)
    signal = FraudSignalFactory(
        user=user, status=FraudSignal.Status.choices[-1][0], reviewed_at=now, review_note="secret"
    )
    FraudSignalFactory(user=other)
    EnergyHoldFactory(user=user, signal=signal, reason="Unusual collecting")
    green_action(user, day=timezone.localdate())

    doc = _export_doc(user)
    assert len(doc["badges"]) == 1
    assert [c["challenge_code"] for c in doc["challenges"]] == ["rail-week"]
    assert doc["level"]["streaks"]["daily"]["current"] == 1
    assert doc["level"]["level"]["level"] >= 1
    assert [h["reason"] for h in doc["holds"]] == ["Unusual collecting"]
    assert [(r["id"], r["status"]) for r in doc["fraud_reviews"]] == [(signal.id, signal.status)]
    assert "secret" not in json.dumps(doc["fraud_reviews"])
    assert set(doc["profile"]["notification_preferences"]) >= {"push_enabled", "notify_energy"}
