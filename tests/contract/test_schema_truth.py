"""The OpenAPI schema tells the truth (issue 16, finding 10).

Each test makes the answer schemathesis found off-schema in `.ci/contract.sh` and checks it
against the schema the way schemathesis does (tests/contract/conformance.py).
"""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import serializers

from core.api import exception_handler
from forest.services.teams import team_create
from tests.accounts.factories import LinkedFeedFactory, TransactionFactory, UserFactory
from tests.contract.conformance import api_schema, assert_conforms

pytestmark = pytest.mark.django_db


def test_quiet_hours_are_documented_as_hours_and_minutes(user_client):
    changed = user_client.patch(
        "/api/v1/me/notification-preferences",
        {"quiet_hours": {"enabled": True, "start": "23:00", "end": "07:30"}},
        format="json",
    )
    shown = user_client.get("/api/v1/me/notification-preferences")

    assert changed.status_code == 200
    assert shown.json()["quiet_hours"]["start"] == "23:00"
    assert_conforms(changed, "PATCH", "/api/v1/me/notification-preferences")
    assert_conforms(shown, "GET", "/api/v1/me/notification-preferences")


def test_quiet_hours_take_seconds_too_and_answer_without_them(user_client):
    response = user_client.patch(
        "/api/v1/me/notification-preferences",
        {"quiet_hours": {"start": "22:15:00"}},
        format="json",
    )

    assert response.status_code == 200 and response.json()["quiet_hours"]["start"] == "22:15"


def test_an_unscored_transaction_has_a_null_green_action_the_schema_allows(user, user_client):
    transaction = TransactionFactory(feed=LinkedFeedFactory(user=user))

    listed = user_client.get("/api/v1/transactions")
    one = user_client.get(f"/api/v1/transactions/{transaction.pk}")

    assert one.json()["green_action"] is None
    assert_conforms(listed, "GET", "/api/v1/transactions")
    assert_conforms(one, "GET", "/api/v1/transactions/{transaction_id}")


def test_field_errors_are_a_documented_400_body(user_client):
    response = user_client.patch(
        "/api/v1/me", {"time_zone": "Mars/Olympus", "steal_opt_out": "perhaps"}, format="json"
    )

    assert response.status_code == 400 and "time_zone" in response.json()
    assert_conforms(response, "PATCH", "/api/v1/me")


def test_a_field_error_where_a_coded_error_is_declared_still_conforms(user_client):
    response = user_client.post("/api/v1/friends/accept", {}, format="json")

    assert response.status_code == 400
    assert_conforms(response, "POST", "/api/v1/friends/accept")


@pytest.mark.parametrize(
    "error",
    [DjangoValidationError("Bad pattern."), serializers.ValidationError("Bad pattern.")],
    ids=["django", "drf"],
)
def test_an_error_of_no_field_is_the_documented_error_body(error):
    # Before: {"detail": ["Bad pattern."], "code": "invalid"} and ["Bad pattern."], off-schema.
    response = exception_handler(error, {})

    assert response.status_code == 400
    assert response.data == {"detail": "Bad pattern.", "code": "invalid"}


def test_revoking_a_feed_answers_200_with_its_report_as_documented(user, user_client):
    feed = LinkedFeedFactory(user=user)

    response = user_client.delete(f"/api/v1/feeds/{feed.pk}")

    assert response.status_code == 200
    assert_conforms(response, "DELETE", "/api/v1/feeds/{feed_id}")


@pytest.mark.parametrize("action", ["decline", "leave"])
def test_declining_or_leaving_in_the_wrong_state_is_a_documented_409(user, user_client, action):
    # Declining: the user created the team (nothing to decline). Leaving: the user is only
    # invited (not a member yet).
    neighbour = UserFactory()
    creator, invitee = (user, neighbour) if action == "decline" else (neighbour, user)
    team = team_create(creator_id=creator.id, name="Buren", user_ids=[invitee.id])

    response = user_client.post(f"/api/v1/teams/{team.id}/{action}")

    assert response.status_code == 409
    assert_conforms(response, "POST", f"/api/v1/teams/{{team_id}}/{action}")


def test_a_page_past_the_end_is_a_documented_404(user_client):
    response = user_client.get("/api/v1/ledger?page=0")

    assert response.status_code == 404
    assert_conforms(response, "GET", "/api/v1/ledger")


def test_a_missing_token_is_a_documented_401(api_client):
    response = api_client.get("/api/v1/forest")

    assert response.status_code == 401
    assert_conforms(response, "GET", "/api/v1/forest")


def test_every_operation_documents_the_plumbings_answers():
    missing = []
    for operation in api_schema().get_all_operations():
        op = operation.ok()
        statuses = set(op.definition.raw["responses"])
        needed = {"401", "429", "503"}
        if "{" in op.path:
            needed.add("404")
        if op.method.upper() in {"POST", "PUT", "PATCH"}:
            needed.add("400")
        missing += [f"{op.method.upper()} {op.path} {s}" for s in sorted(needed - statuses)]

    assert missing == []
