"""Friends: invite codes (random, hashed, single use, expiring), accepting, listing, unfriending."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import FriendInvite, Friendship
from accounts.services.friends import (
    FriendError,
    friend_invite_accept,
    friend_invite_create,
    hash_code,
)
from tests.accounts.factories import UserFactory
from tests.accounts.friend_factories import befriend
from tests.clients import api_client_for

pytestmark = pytest.mark.django_db


def test_an_invite_code_makes_friends_and_is_stored_hashed(user_client, user):
    # given
    response = user_client.post("/api/v1/friends/invite")
    assert response.status_code == 201
    code = response.json()["code"]
    invite = FriendInvite.objects.get()
    assert invite.code_hash == hash_code(code) and code not in invite.code_hash
    friend = UserFactory(profile__display_name="Bram")
    # when
    accepted = api_client_for(friend).post("/api/v1/friends/accept", {"code": code.lower()})
    # then
    assert accepted.status_code == 201
    assert accepted.json()["user_id"] == user.id
    friendship = Friendship.objects.get()
    assert friendship.status == "accepted" and friendship.requested_by_id == user.id
    listed = user_client.get("/api/v1/friends").json()
    assert [(f["user_id"], f["display_name"]) for f in listed] == [(friend.id, "Bram")]
    assert "email" not in listed[0]


def test_a_code_is_single_use_and_unknown_used_expired_look_the_same(user):
    code = friend_invite_create(inviter_id=user.id).code
    first, second = UserFactory(), UserFactory()
    friend_invite_accept(user_id=first.id, code=code)
    with pytest.raises(FriendError) as used:
        friend_invite_accept(user_id=second.id, code=code)
    with pytest.raises(FriendError) as unknown:
        friend_invite_accept(user_id=second.id, code="AAAAA-BBBBB")
    expired_code = friend_invite_create(inviter_id=user.id).code
    with (
        time_machine.travel(timezone.now() + timedelta(days=8)),
        pytest.raises(FriendError) as expired,
    ):
        friend_invite_accept(user_id=second.id, code=expired_code)
    assert {used.value.code, unknown.value.code, expired.value.code} == {"invalid_code"}
    assert used.value.status == unknown.value.status == expired.value.status == 404
    assert not Friendship.objects.filter(user_high=second).exists()
    assert not Friendship.objects.filter(user_low=second).exists()


def test_own_code_and_existing_friends_are_refused_without_using_the_code(user):
    code = friend_invite_create(inviter_id=user.id).code
    with pytest.raises(FriendError) as own:
        friend_invite_accept(user_id=user.id, code=code)
    assert own.value.status == 400
    friend = UserFactory()
    befriend(friend, user)
    with pytest.raises(FriendError) as again:
        friend_invite_accept(user_id=friend.id, code=code)
    assert again.value.code == "already_friends"
    assert FriendInvite.objects.get().used_at is None


def test_a_pair_is_unique_in_either_order():
    a, b = UserFactory(), UserFactory()
    befriend(a, b)
    with pytest.raises(IntegrityError), transaction.atomic():
        befriend(b, a)
    low, high = sorted([a.id, b.id])
    with pytest.raises(IntegrityError), transaction.atomic():
        Friendship.objects.create(user_low_id=high, user_high_id=low, requested_by_id=a.id)


def test_unfriend_from_either_side(user_client, user):
    friend = UserFactory()
    befriend(user, friend)
    assert api_client_for(friend).delete(f"/api/v1/friends/{user.id}").status_code == 204
    assert not Friendship.objects.exists()
    again = user_client.delete(f"/api/v1/friends/{friend.id}")
    assert again.status_code == 404
    assert user_client.get("/api/v1/friends").json() == []


def test_the_friend_list_runs_a_fixed_number_of_queries(user, django_assert_max_num_queries):
    for _ in range(2):
        befriend(user, UserFactory())
    client = api_client_for(user)
    with django_assert_max_num_queries(4) as few:
        assert len(client.get("/api/v1/friends").json()) == 2
    for _ in range(8):
        befriend(UserFactory(), user)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert len(client.get("/api/v1/friends").json()) == 10


def test_accepting_codes_is_throttled(user_client):
    answers = [
        user_client.post("/api/v1/friends/accept", {"code": f"XXXXX-{i:05d}"}).status_code
        for i in range(12)
    ]
    assert answers[:10] == [404] * 10
    assert answers[-1] == 429


def test_friend_endpoints_need_a_login(api_client):
    assert api_client.get("/api/v1/friends").status_code == 401
    assert api_client.post("/api/v1/friends/invite").status_code == 401


def test_errors_are_translated(user_client):
    response = user_client.post(
        "/api/v1/friends/accept", {"code": "nope"}, HTTP_ACCEPT_LANGUAGE="nl"
    )
    assert response.status_code == 404
    assert response.json()["code"] == "invalid_code"
    assert "uitnodigingscode" in response.json()["detail"].lower()


def test_a_deleted_account_is_nobodys_friend(user):
    gone = UserFactory()
    befriend(user, gone)
    gone.is_active = False
    gone.save(update_fields=["is_active"])
    assert api_client_for(user).get("/api/v1/friends").json() == []
    assert api_client_for(user).get(f"/api/v1/friends/{gone.id}/forest").status_code == 404
