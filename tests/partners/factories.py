from __future__ import annotations

import factory

from partners.models import Sponsor, SponsorMembership
from tests.accounts.factories import UserFactory


class SponsorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Sponsor

    name = factory.Sequence(lambda n: f"Brand {n}")
    slug = factory.Sequence(lambda n: f"brand-{n}")


class SponsorMembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SponsorMembership

    sponsor = factory.SubFactory(SponsorFactory)
    user = factory.SubFactory(UserFactory)
