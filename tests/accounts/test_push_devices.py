"""/api/v1/me/devices: register (idempotent on the token), list and remove push devices, the
per-user limit, and nobody else's devices."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from accounts.models import PushDevice
from tests.accounts.factories import UserFactory
from tests.clients import api_client_for

pytestmark = pytest.mark.django_db

URL = "/api/v1/me/devices"


def register(client, token="fcm-token-1", **extra):
    return client.post(URL, {"token": token, "platform": "ios", **extra}, format="json")


def test_registering_creates_the_device_and_again_updates_it():
    user = UserFactory()
    client = api_client_for(user)

    first = register(client, app_version="2.4.0", locale="nl")
    again = register(client, app_version="2.5.0", locale="en")

    assert first.status_code == 201 and again.status_code == 200
    assert again.data["id"] == first.data["id"]
    device = PushDevice.objects.get(user=user)
    assert (device.app_version, device.locale, device.token_type) == ("2.5.0", "en", "fcm")
    listed = client.get(URL)
    assert [d["token"] for d in listed.data] == ["fcm-token-1"]


def test_a_token_registered_by_someone_else_moves_never_duplicates():
    before, after = UserFactory(), UserFactory()
    register(api_client_for(before), token="shared-phone")

    response = register(api_client_for(after), token="shared-phone")

    assert response.status_code == 200
    assert list(PushDevice.objects.values_list("user_id", flat=True)) == [after.pk]
    assert api_client_for(before).get(URL).data == []


def test_the_device_limit_is_a_clear_409(settings):
    settings.CANOPY_PUSH_MAX_DEVICES = 2
    user = UserFactory()
    client = api_client_for(user)
    register(client, token="a")
    register(client, token="b")

    refused = register(client, token="c")
    known = register(client, token="b")  # re-registering one of the two is fine

    assert refused.status_code == 409
    assert refused.data["code"] == "device_limit" and "2 devices" in refused.data["detail"]
    assert known.status_code == 200
    assert PushDevice.objects.filter(user=user).count() == 2


def test_a_token_moving_in_counts_against_the_limit(settings):
    settings.CANOPY_PUSH_MAX_DEVICES = 1
    owner, other = UserFactory(), UserFactory()
    register(api_client_for(owner), token="owners")
    register(api_client_for(other), token="others")

    refused = register(api_client_for(other), token="owners")

    assert refused.status_code == 409
    assert PushDevice.objects.get(token="owners").user_id == owner.pk


def test_removing_a_device_and_not_someone_elses():
    mine, theirs = UserFactory(), UserFactory()
    my_device = register(api_client_for(mine), token="mine").data["id"]
    their_device = register(api_client_for(theirs), token="theirs").data["id"]

    foreign = api_client_for(mine).delete(f"{URL}/{their_device}")
    own = api_client_for(mine).delete(f"{URL}/{my_device}")
    twice = api_client_for(mine).delete(f"{URL}/{my_device}")

    assert foreign.status_code == 404 and foreign.data["code"] == "not_found"
    assert own.status_code == 204 and twice.status_code == 404
    assert list(PushDevice.objects.values_list("token", flat=True)) == ["theirs"]


def test_the_list_shows_only_my_devices():
    mine, theirs = UserFactory(), UserFactory()
    register(api_client_for(mine), token="mine")
    register(api_client_for(theirs), token="theirs")

    listed = api_client_for(mine).get(URL)

    assert [d["token"] for d in listed.data] == ["mine"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"platform": "ios"}, "token"),
        ({"token": "t"}, "platform"),
        ({"token": "t", "platform": "blackberry"}, "platform"),
        ({"token": "t", "platform": "ios", "token_type": "pager"}, "token_type"),
        ({"token": "x" * 513, "platform": "ios"}, "token"),
        ({"token": "t", "platform": "ios", "locale": "fr"}, "locale"),
        ({"token": "   ", "platform": "android"}, "token"),
    ],
)
def test_bad_input_is_a_400_naming_the_field(body, field):
    response = api_client_for(UserFactory()).post(URL, body, format="json")

    assert response.status_code == 400 and field in response.data
    assert not PushDevice.objects.exists()


def test_devices_need_a_login():
    assert APIClient().get(URL).status_code == 401
    assert APIClient().post(URL, {"token": "t", "platform": "ios"}).status_code == 401


def test_the_schema_documents_the_devices_with_examples():
    schema = APIClient().get("/api/schema/?format=json").json()
    post = schema["paths"]["/api/v1/me/devices"]["post"]

    assert {"200", "201", "400", "409"} <= set(post["responses"])
    assert post["requestBody"]["content"]["application/json"]["examples"]
    assert "delete" in schema["paths"]["/api/v1/me/devices/{device_id}"]
