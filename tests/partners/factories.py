from __future__ import annotations

from datetime import date
from decimal import Decimal

import factory

from catalogue.models import Sponsor, SponsorMembership
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


class CampaignFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "catalogue.Campaign"

    sponsor = factory.SubFactory(SponsorFactory)
    name = factory.Sequence(lambda n: f"Campaign {n}")
    match_merchants = factory.LazyFunction(lambda: ["vinted"])
    bonus_grams = 100
    starts_on = date(2026, 1, 1)
    ends_on = date(2026, 12, 31)
    budget_grams = 10_000


class InvoiceFactory(factory.django.DjangoModelFactory):
    """A pending top-up invoice, made the way the portal makes them (partners.services.billing)."""

    class Meta:
        model = "partners.Invoice"

    forest = factory.SubFactory("tests.forest.tree_factories.BrandForestFactory")
    sponsor = factory.SelfAttribute("forest.sponsor")
    amount = Decimal("250.00")
    po_reference = ""
    requested_by = None

    @classmethod
    def _create(cls, model_class, **kwargs):
        from partners.services.billing import invoice_request

        return invoice_request(**kwargs)
