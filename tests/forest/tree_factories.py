"""Factories for species, brand forests, planting partners and trees."""

from __future__ import annotations

import secrets
import uuid
from decimal import Decimal

import factory
from django.utils import timezone

from catalogue.models import BrandForest, PlantingPartner, Species
from forest.models import Team, TeamInvitation, TeamMembership, Tree
from forest.models.energy import Account, EntryKind
from forest.services.ledger import ledger_append
from partners.models import ForestBudgetEntry
from tests.accounts.factories import UserFactory
from tests.partners.factories import SponsorFactory

# A square of about 1 km around the Amsterdamse Bos; GeoJSON is (lon, lat).
AMSTERDAMSE_BOS = {
    "type": "Polygon",
    "coordinates": [[[4.83, 52.31], [4.85, 52.31], [4.85, 52.32], [4.83, 52.32], [4.83, 52.31]]],
}


class SpeciesFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Species
        django_get_or_create = ["code"]

    code = factory.Sequence(lambda n: f"test-species-{n}")
    name_en = factory.Sequence(lambda n: f"Test tree {n}")
    name_nl = factory.Sequence(lambda n: f"Testboom {n}")
    latin_name = "Arbor testensis"
    energy_cost_grams = 1_000
    # All year, so tests do not depend on the date; season tests set their own months.
    planting_months = factory.LazyFunction(lambda: list(range(1, 13)))


class PlantingPartnerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PlantingPartner

    name = factory.Sequence(lambda n: f"Planter {n}")
    kind = PlantingPartner.Kind.SANDBOX


class BrandForestFactory(factory.django.DjangoModelFactory):
    """An open forest offering ``species`` (default: one new species), with ``budget`` in it.

    ``BrandForestFactory(budget=Decimal("1.00"))`` tops it up by that much (0: no budget).
    """

    class Meta:
        model = BrandForest
        skip_postgeneration_save = True

    sponsor = factory.SubFactory(SponsorFactory)
    name = factory.Sequence(lambda n: f"Forest {n}")
    story = "Native woodland on former farmland."
    area = factory.LazyFunction(lambda: AMSTERDAMSE_BOS)
    planting_partner = factory.SubFactory(PlantingPartnerFactory)
    price_per_tree = Decimal("1.00")
    currency = "EUR"
    capacity = 100

    @factory.post_generation
    def species(obj, create, extracted, **kwargs):
        if not create:
            return
        obj.species.set(extracted if extracted is not None else [SpeciesFactory()])

    @factory.post_generation
    def budget(obj, create, extracted, **kwargs):
        amount = Decimal("100.00") if extracted is None else Decimal(extracted)
        if create and amount > 0:
            ForestBudgetEntry.objects.create(
                forest=obj, kind="topup", amount=amount, idempotency_key=f"topup:test:{obj.pk}"
            )


class TreeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Tree

    owner = factory.SubFactory(UserFactory)
    species = factory.LazyAttribute(lambda o: o.forest.species.first())
    forest = factory.SubFactory(BrandForestFactory)


def give_energy(user, grams: int) -> None:
    """Put collected grams in the user's balance, as a ledger adjustment."""
    key = f"test:adjust:{uuid.uuid4()}"
    ledger_append(
        rows=[(user.id, Account.BALANCE, EntryKind.ADJUSTMENT, grams, key, None)],
        now=timezone.now(),
    )


class TeamFactory(factory.django.DjangoModelFactory):
    """A team whose creator is its one active member; invite or add others as the test needs."""

    class Meta:
        model = Team
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Team {n}")
    created_by = factory.SubFactory(UserFactory)

    @factory.post_generation
    def members(obj, create, extracted, **kwargs):
        """``TeamFactory(members=[bram, cas])``: active members besides the creator."""
        if not create:
            return
        now = timezone.now()
        for user in [obj.created_by, *(extracted or [])]:
            TeamMembership.objects.create(team=obj, user=user, status="active", joined_at=now)


class TeamInvitationFactory(factory.django.DjangoModelFactory):
    """A pending e-mail invitation; its plaintext token is on ``invitation.token``."""

    class Meta:
        model = TeamInvitation

    team = factory.SubFactory(TeamFactory)
    email = factory.Sequence(lambda n: f"invitee{n}@example.org")
    invited_by = factory.SelfAttribute("team.created_by")
    token = factory.LazyFunction(lambda: secrets.token_urlsafe(32))
    token_hash = factory.LazyAttribute(lambda o: TeamInvitation.hash_token(o.token))
    expires_at = factory.LazyFunction(lambda: timezone.now() + TeamInvitation.TTL)

    @classmethod
    def _create(cls, model_class, *args, token: str, **kwargs):
        invitation = super()._create(model_class, *args, **kwargs)
        invitation.token = token
        return invitation
