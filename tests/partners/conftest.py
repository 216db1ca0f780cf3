"""The signed-in sponsor member most portal tests start from (an administrator by default;
a test module overrides ``member`` for another role)."""

from __future__ import annotations

import pytest

from catalogue.models import SponsorMembership
from tests.partners.factories import SponsorMembershipFactory


@pytest.fixture
def member():
    return SponsorMembershipFactory(role=SponsorMembership.Role.ADMIN)


@pytest.fixture
def sponsor(member):
    return member.sponsor


@pytest.fixture
def portal(client, member):
    client.force_login(member.user)
    return client
