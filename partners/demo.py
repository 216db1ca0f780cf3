"""The partners app's demo hook (run by the demo app's `seed_demo`): the demo sponsor's brand
forest, its planting partner and budget."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

from catalogue.models import BrandForest, PlantingPartner, Species, Sponsor
from forest.models import Tree
from forest.services.trees import tree_start
from partners.services.api_keys import partner_api_key_create
from partners.services.planting_orders import forest_budget_available, forest_budget_topup

DEMO_PARTNER_NAME = "Sandbox planting partner (demo)"
DEMO_FOREST_NAME = "Groene Winkel Bos, Veluwe"
# About 2 x 2 km of heath edge west of Kootwijk, Gelderland; GeoJSON is (lon, lat).
DEMO_FOREST_AREA = {
    "type": "Polygon",
    "coordinates": [
        [[5.745, 52.170], [5.775, 52.170], [5.775, 52.188], [5.745, 52.188], [5.745, 52.170]]
    ],
}
# Dutch native species from forest/migrations/0006_seed_species.py.
DEMO_SPECIES = ["hazelaar", "ruwe-berk", "zwarte-els", "zomereik"]
DEMO_TOPUP = Decimal("500.00")
DEMO_PRICE = Decimal("1.00")
DEMO_CAPACITY = 1_000


def seed_demo(*, sponsor: Sponsor, users: dict | None = None, **context) -> Iterator[str]:
    yield from seed_demo_forests(sponsor=sponsor)
    if users and "consumer" in users:
        yield from seed_demo_tree(consumer=users["consumer"], sponsor=sponsor)


def seed_demo_tree(*, consumer, sponsor: Sponsor) -> Iterator[str]:
    """The consumer grows the demo forest's cheapest species, so the app shows a tree that the
    nightly scoring's energy (at the tuned pace, docs/economy.md) grows once collected."""
    if Tree.objects.filter(owner=consumer, status=Tree.Status.GROWING).exists():
        return
    forest = BrandForest.objects.get(sponsor=sponsor, name=DEMO_FOREST_NAME)
    species = forest.species.filter(is_active=True).order_by("energy_cost_grams").first()
    if species is None:
        return
    tree = tree_start(user_id=consumer.id, species_id=species.id, forest_id=forest.id)
    yield (
        f"{consumer.email} grows a {species.name_en} ({species.energy_cost_grams:,} g) in "
        f"{forest.name} (tree {tree.pk})."
    )


def seed_demo_forests(*, sponsor: Sponsor) -> Iterator[str]:
    """Yield progress lines; a second run changes nothing (keys and names are fixed)."""
    partner, created = PlantingPartner.objects.get_or_create(
        name=DEMO_PARTNER_NAME, defaults={"kind": PlantingPartner.Kind.SANDBOX}
    )
    if created:
        yield f"Created the sandbox planting partner {partner.pk}."
    if not partner.api_keys.exists():
        _key, token = partner_api_key_create(partner=partner, name="demo")
        yield f"Partner API key for {partner.name} (shown once): {token}"

    forest, created = BrandForest.objects.get_or_create(
        sponsor=sponsor,
        name=DEMO_FOREST_NAME,
        defaults={
            "story": "Native broadleaf woodland on the edge of the Veluwe heath, planted "
            "bare-root from November to March.",
            "area": DEMO_FOREST_AREA,
            "planting_partner": partner,
            "price_per_tree": DEMO_PRICE,
            "currency": "EUR",
            "capacity": DEMO_CAPACITY,
        },
    )
    forest.full_clean()  # the GeoJSON area is validated as an operator's edit would be
    forest.species.add(*Species.objects.filter(code__in=DEMO_SPECIES))
    forest_budget_topup(
        forest=forest,
        amount=DEMO_TOPUP,
        idempotency_key=f"demo:topup:{sponsor.slug}:1",
        memo="Demo budget",
    )
    yield (
        f"{'Created' if created else 'Found'} brand forest {forest.pk} '{forest.name}' for "
        f"{sponsor.name}: {forest.species.count()} species, capacity {forest.capacity}, "
        f"budget available EUR {forest_budget_available(forest.id)}."
    )
