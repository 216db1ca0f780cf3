"""Challenges: joining, progress from green actions in the window, nightly completion, and the
bonus credited exactly once through the ledger."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts.models import Notification
from forest.models import Challenge, ChallengeParticipation, EnergyLedgerEntry
from forest.services.challenges import (
    ChallengeNotOpen,
    challenge_join,
    challenges_evaluate_all,
)
from tests.accounts.factories import UserFactory
from tests.forest.achievement_factories import (
    ChallengeFactory,
    clear_seeded_challenges,
    green_action,
)
from tests.forest.helpers import assert_ledger_consistent, balance

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _only_own_challenges(db):
    clear_seeded_challenges()


def _join(user, challenge):
    return challenge_join(user_id=user.id, challenge_id=challenge.id)[0]


def test_join_api_creates_once_and_shows_progress(user, user_client):
    challenge = ChallengeFactory()
    green_action(user, action_type="rail")
    first = user_client.post(f"/api/v1/challenges/{challenge.id}/join")
    again = user_client.post(f"/api/v1/challenges/{challenge.id}/join")
    assert first.status_code == 201
    assert again.status_code == 200
    assert first.json()["joined"] is True
    assert first.json()["progress"] == 1
    assert ChallengeParticipation.objects.filter(user=user, challenge=challenge).count() == 1


@pytest.mark.parametrize(
    "fields",
    [
        {"is_active": False},
        {"starts_on": timezone.localdate() + timedelta(days=1)},
        {"ends_on": timezone.localdate() - timedelta(days=1)},
    ],
)
def test_join_api_refuses_challenges_not_open(user_client, fields):
    defaults = {"starts_on": timezone.localdate() - timedelta(days=5)}
    challenge = ChallengeFactory(**{**defaults, **fields})
    response = user_client.post(f"/api/v1/challenges/{challenge.id}/join")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert user_client.post("/api/v1/challenges/999999/join").status_code == 404
    assert not ChallengeParticipation.objects.exists()


def test_list_shows_open_challenges_with_progress_in_fixed_queries(
    user, user_client, django_assert_max_num_queries
):
    today = timezone.localdate()
    trains = ChallengeFactory(title_nl="Treinweek")
    grams = ChallengeFactory(
        action_types=["second_hand", "bike"], target_count=None, target_grams=1000
    )
    ChallengeFactory(is_active=False)
    _join(user, trains)
    green_action(user, action_type="rail", day=today)
    green_action(user, action_type="rail", day=today - timedelta(days=10))  # before the window
    green_action(user, action_type="rail", day=today, reversed_=True)
    green_action(user, action_type="public_transport", day=today)  # another type
    green_action(user, action_type="second_hand", grams=700, day=today)
    green_action(user, action_type="bike", grams=200, day=today - timedelta(days=1))
    green_action(UserFactory(), action_type="rail", day=today)  # someone else
    for _ in range(3):
        ChallengeFactory()  # more challenges, same number of queries
    with django_assert_max_num_queries(5):  # savepoint + release + 3 reads
        response = user_client.get("/api/v1/challenges", HTTP_ACCEPT_LANGUAGE="nl")
    assert response.status_code == 200
    body = {c["id"]: c for c in response.json()}
    assert len(body) == 5
    assert body[trains.id]["progress"] == 1
    assert body[trains.id]["joined"] is True
    assert body[trains.id]["title"] == "Treinweek"
    assert body[grams.id]["progress"] == 900
    assert body[grams.id]["target_kind"] == "grams"
    assert body[grams.id]["joined"] is False


def test_completion_pays_bonus_exactly_once_and_notifies():
    challenge = ChallengeFactory(bonus_grams=150)
    done, short, outsider = UserFactory(), UserFactory(), UserFactory()
    for user in (done, short):
        _join(user, challenge)
    for _ in range(3):
        green_action(done, action_type="rail")
        green_action(outsider, action_type="rail")  # did not join
    green_action(short, action_type="rail")
    green_action(short, action_type="rail", reversed_=True)

    assert challenges_evaluate_all() == {challenge.code: 1}
    assert challenges_evaluate_all() == {challenge.code: 0}

    participation = ChallengeParticipation.objects.get(user=done)
    assert participation.completed_at is not None
    assert participation.bonus_grams == 150
    assert ChallengeParticipation.objects.get(user=short).completed_at is None
    entry = EnergyLedgerEntry.objects.get(
        idempotency_key=f"challenge:{challenge.id}:user:{done.id}"
    )
    assert (entry.account, entry.kind, entry.grams) == ("balance", "earn", 150)
    assert EnergyLedgerEntry.objects.count() == 1
    assert balance(done) == 150
    assert Notification.objects.filter(user=done).count() == 1
    assert not Notification.objects.filter(user__in=[short, outsider]).exists()
    assert_ledger_consistent()


def test_grams_target_and_no_bonus_writes_no_entry():
    challenge = ChallengeFactory(
        action_types=["second_hand"], target_count=None, target_grams=1000, bonus_grams=0
    )
    user = UserFactory()
    _join(user, challenge)
    green_action(user, action_type="second_hand", grams=800)
    assert challenges_evaluate_all() == {challenge.code: 0}
    green_action(user, action_type="second_hand", grams=200)
    assert challenges_evaluate_all() == {challenge.code: 1}
    assert not EnergyLedgerEntry.objects.exists()
    note = Notification.objects.get(user=user)
    assert note.dedupe_key == f"challenge:{challenge.id}:user:{user.id}:completed"


def test_closed_challenge_is_evaluated_during_the_grace_days_only():
    today = timezone.localdate()
    late = ChallengeFactory(starts_on=today - timedelta(days=10), ends_on=today - timedelta(days=3))
    old = ChallengeFactory(starts_on=today - timedelta(days=40), ends_on=today - timedelta(days=30))
    user = UserFactory()
    ChallengeParticipation.objects.create(challenge=late, user=user, joined_at=timezone.now())
    ChallengeParticipation.objects.create(challenge=old, user=user, joined_at=timezone.now())
    for day in (4, 5, 6, 31, 32, 33):
        green_action(user, action_type="rail", day=today - timedelta(days=day))
    assert challenges_evaluate_all() == {late.code: 1}
    assert ChallengeParticipation.objects.get(challenge=old).completed_at is None


def test_join_service_refuses_a_closed_challenge():
    challenge = ChallengeFactory(ends_on=timezone.localdate() - timedelta(days=1))
    with pytest.raises(ChallengeNotOpen):
        challenge_join(user_id=UserFactory().id, challenge_id=challenge.id)


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"ends_on": timezone.localdate() - timedelta(days=30)}, "ends_on"),
        ({"target_count": None}, "target_count"),
        ({"target_grams": 500}, "target_count"),
        ({"action_types": []}, "action_types"),
        ({"action_types": ["rail", "teleport"]}, "action_types"),
    ],
)
def test_challenge_validation(fields, field):
    challenge = Challenge(
        code="c",
        title_en="t",
        title_nl="t",
        action_types=["rail"],
        target_count=3,
        starts_on=timezone.localdate(),
        ends_on=timezone.localdate(),
    )
    for name, value in fields.items():
        setattr(challenge, name, value)
    with pytest.raises(ValidationError) as exc:
        challenge.full_clean()
    assert field in exc.value.message_dict


def test_admin_adds_and_validates_challenges(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    form = {
        "code": "train-week",
        "title_en": "Take the train three times",
        "title_nl": "Neem drie keer de trein",
        "text_en": "",
        "text_nl": "",
        "action_types": ["rail"],
        "target_count": "3",
        "target_grams": "",
        "starts_on": "2026-12-01",
        "ends_on": "2026-11-01",
        "bonus_grams": "100",
        "is_active": "on",
    }
    refused = client.post("/admin/forest/challenge/add/", form)
    assert refused.status_code == 200
    assert not Challenge.objects.exists()
    response = client.post("/admin/forest/challenge/add/", {**form, "ends_on": "2026-12-07"})
    assert response.status_code == 302
    challenge = Challenge.objects.get(code="train-week")
    assert challenge.action_types == ["rail"]
    assert client.get("/admin/forest/challenge/").status_code == 200
    assert client.get(f"/admin/forest/challenge/{challenge.id}/change/").status_code == 200
    assert client.get("/admin/forest/challengeparticipation/").status_code == 200
