"""POST /api/v1/claims: the consumer side of claim codes, its errors and its throttles."""

from __future__ import annotations

from datetime import timedelta
from unittest import mock

import pytest
import time_machine
from rest_framework.test import APIClient

from catalogue.models import Campaign
from forest.models import EnergyBalance, EnergyDrop
from partners.api.claims import ClaimFailureIpThrottle, ClaimFailureUserThrottle
from partners.models import ClaimCode
from tests.accounts.factories import UserFactory
from tests.forest.fraud_factories import EnergyHoldFactory
from tests.forest.helpers import assert_ledger_consistent
from tests.partners.claim_helpers import batch_with_codes

pytestmark = pytest.mark.django_db

URL = "/api/v1/claims"


def _client(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_a_user_claims_a_code(user_client, user):
    batch, codes = batch_with_codes(count=1, grams=40)
    response = user_client.post(URL, {"code": f"  {codes[0].lower()}  "}, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    drop = EnergyDrop.objects.get(user=user)
    assert body["drop_id"] == drop.pk
    assert body["grams"] == 40
    assert body["sponsor"] == batch.sponsor.name
    assert body["campaign"] == batch.campaign.name
    assert EnergyBalance.objects.get(user=user, account="drops").grams == 40
    assert_ledger_consistent()


def test_it_needs_a_signed_in_user(api_client):
    assert api_client.post(URL, {"code": "x"}, format="json").status_code == 401


@pytest.mark.parametrize("body", [{}, {"code": ""}, {"code": ["a"]}, [], "junk"])
def test_a_body_without_a_code_is_a_400(user_client, body):
    response = user_client.post(URL, body, format="json")
    assert response.status_code == 400


def test_errors_answer_with_their_status_and_code(user_client, user):
    batch, codes = batch_with_codes(count=3)
    unknown = user_client.post(URL, {"code": "CNPY-2222-2222-2222-2222"}, format="json")
    assert (unknown.status_code, unknown.json()["code"]) == (400, "invalid_code")
    assert unknown.json()["detail"] == "This code is not valid."

    assert user_client.post(URL, {"code": codes[0]}, format="json").status_code == 201
    again = _client(UserFactory()).post(URL, {"code": codes[0]}, format="json")
    assert (again.status_code, again.json()["code"]) == (409, "used")

    with time_machine.travel(batch.valid_until + timedelta(minutes=1)):
        expired = user_client.post(URL, {"code": codes[1]}, format="json")
    assert (expired.status_code, expired.json()["code"]) == (410, "expired")

    Campaign.objects.filter(pk=batch.campaign_id).update(is_active=False)
    inactive = user_client.post(URL, {"code": codes[1]}, format="json")
    assert (inactive.status_code, inactive.json()["code"]) == (409, "campaign_inactive")

    Campaign.objects.filter(pk=batch.campaign_id).update(is_active=True)
    frozen = UserFactory()
    EnergyHoldFactory(user=frozen)
    held = _client(frozen).post(URL, {"code": codes[2]}, format="json")
    assert (held.status_code, held.json()["code"]) == (403, "energy_on_hold")
    assert ClaimCode.objects.filter(redeemed_at__isnull=False).count() == 1


def test_errors_speak_dutch(user_client):
    response = user_client.post(
        URL, {"code": "CNPY-2222-2222-2222-2222"}, format="json", HTTP_ACCEPT_LANGUAGE="nl"
    )
    assert response.status_code == 400
    assert response.json()["detail"] == "Deze code is niet geldig."


def test_failed_attempts_are_throttled_per_user(user_client):
    _batch, codes = batch_with_codes(count=1)
    rate = int(ClaimFailureUserThrottle.rate.split("/")[0])
    for i in range(rate):
        response = user_client.post(URL, {"code": f"CNPY-2222-2222-2222-{i + 2222}"})
        assert response.status_code == 400
    # Even a good code waits now: the attempts budget is spent.
    assert user_client.post(URL, {"code": codes[0]}, format="json").status_code == 429
    # Someone else (same test IP, under the IP budget) is not affected.
    assert _client(UserFactory()).post(URL, {"code": codes[0]}).status_code == 201


def test_failed_attempts_are_throttled_per_ip():
    _batch, codes = batch_with_codes(count=1)
    with mock.patch.object(ClaimFailureIpThrottle, "rate", "3/hour"):
        for _ in range(3):
            response = _client(UserFactory()).post(URL, {"code": "CNPY-2222-2222-2222-2222"})
            assert response.status_code == 400
        response = _client(UserFactory()).post(URL, {"code": codes[0]}, format="json")
        assert response.status_code == 429
        other_ip = _client(UserFactory()).post(
            URL, {"code": codes[0]}, format="json", REMOTE_ADDR="10.1.2.3"
        )
        assert other_ip.status_code == 201


def test_successful_claims_do_not_use_the_failure_budget(user_client):
    _batch, codes = batch_with_codes(count=5, grams=1)
    for code in codes:
        assert user_client.post(URL, {"code": code}, format="json").status_code == 201
    assert (
        user_client.post(URL, {"code": "CNPY-2222-2222-2222-2222"}, format="json").status_code
        == 400
    )


def test_the_endpoint_is_in_the_schema_with_examples(api_client):
    schema = api_client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    operation = schema["paths"]["/api/v1/claims"]["post"]
    assert set(operation["responses"]) >= {"201", "400", "403", "409", "410", "429"}
    examples = operation["requestBody"]["content"]["application/json"]["examples"]
    assert any(e["value"] == {"code": "CNPY-7KQ4-M2XH-9TRW-5N3D"} for e in examples.values())
    assert "examples" in operation["responses"]["201"]["content"]["application/json"]
