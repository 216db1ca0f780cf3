from __future__ import annotations

import pytest

from tests.accounts.factories import DEFAULT_PASSWORD
from tests.partners.factories import SponsorFactory, SponsorMembershipFactory

pytestmark = pytest.mark.django_db


def test_portal_requires_login(client):
    response = client.get("/partners/")
    assert response.status_code == 302
    assert "/partners/login/" in response["Location"]


def test_member_logs_in_and_lands_on_their_sponsor(client):
    membership = SponsorMembershipFactory()
    response = client.post(
        "/partners/login/",
        {"username": membership.user.email, "password": DEFAULT_PASSWORD},
        follow=True,
    )
    assert response.status_code == 200
    assert membership.sponsor.name in response.content.decode()


def test_member_cannot_see_another_sponsor(client):
    membership = SponsorMembershipFactory()
    other = SponsorFactory()
    client.force_login(membership.user)
    assert client.get(f"/partners/{other.slug}/").status_code == 404
    assert client.get(f"/partners/{membership.sponsor.slug}/").status_code == 200


def test_brand_colour_must_be_a_hex_colour():
    from django.core.exceptions import ValidationError

    sponsor = SponsorFactory.build(brand_colour="red;} body{display:none")
    with pytest.raises(ValidationError, match="colour"):
        sponsor.full_clean()
    sponsor.brand_colour = "#2E7D32"
    sponsor.full_clean()
