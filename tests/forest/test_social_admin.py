"""Operators see friendships, invite codes (hashes only) and energy transfers in the admin."""

from __future__ import annotations

import pytest

from accounts.services.friends import friend_invite_create
from forest.models import EnergyTransfer
from forest.services.steals import drop_steal
from tests.accounts.factories import UserFactory
from tests.accounts.friend_factories import befriend
from tests.forest.test_social import ripe_drop

pytestmark = pytest.mark.django_db


@pytest.fixture
def operator_client(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


def test_the_social_list_pages_render_and_transfers_are_read_only(operator_client):
    owner, stealer = UserFactory(), UserFactory()
    befriend(owner, stealer)
    code = friend_invite_create(inviter_id=owner.id).code
    drop_steal(stealer_id=stealer.id, owner_id=owner.id, drop_id=ripe_drop(owner).id)
    for url in [
        "/admin/accounts/friendship/",
        "/admin/accounts/friendinvite/",
        "/admin/forest/energytransfer/",
    ]:
        response = operator_client.get(url)
        assert response.status_code == 200, url
        assert code not in response.content.decode()
    transfer = EnergyTransfer.objects.get()
    page = operator_client.get(f"/admin/forest/energytransfer/{transfer.id}/change/")
    assert page.status_code == 200
    assert b'name="_save"' not in page.content
    assert operator_client.get("/admin/forest/energytransfer/add/").status_code == 403
