"""The partners app's demo hook (run by the demo app's `seed_demo`): the demo sponsors' brand
forests, their planting partner and budgets; and the partner's side of the living demo
(``demo_partner_reports``): planting funded orders with generated evidence photos that carry
GPS inside the forest, and the yearly survival checks."""

from __future__ import annotations

import io
import random
from collections.abc import Iterator
from datetime import datetime, timedelta
from decimal import Decimal

from django.utils import timezone
from PIL import Image, ImageDraw

from catalogue.models import BrandForest, PlantingPartner, Species, Sponsor
from forest.models import Tree
from forest.services.trees import tree_start
from partners.integrations.photos import _evidence_exif
from partners.models import PlantingOrder
from partners.services.api_keys import partner_api_key_create
from partners.services.evidence import (
    partner_order_report_planted,
    planting_evidence_add,
    survival_check_record,
)
from partners.services.planting_orders import (
    forest_budget_available,
    forest_budget_topup,
    planting_order_transition,
)

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
# The second sponsor's forest, nearly out of budget by the end of the demo's history.
OTHER_FOREST_NAME = "Ander Merk Bos, Drenthe"
OTHER_FOREST_AREA = {
    "type": "Polygon",
    "coordinates": [
        [[6.540, 52.880], [6.575, 52.880], [6.575, 52.900], [6.540, 52.900], [6.540, 52.880]]
    ],
}
# Willows along the brook (planted March to May), birch and hazel in the hedgerows.
OTHER_SPECIES = ["ruwe-berk", "hazelaar", "red-willow"]
OTHER_TOPUP = Decimal("12.00")
# Partners plant a funded order this long after accepting it, and check survival yearly.
PLANTED_AFTER = timedelta(days=12)
PHOTO_AFTER = timedelta(days=21)


def _planting_lag(order_id: int) -> timedelta:
    """Two to seven weeks from acceptance to planting, depending on the crew's round."""
    return PLANTED_AFTER + timedelta(days=(order_id * 11) % 35)


def _photo(order_id: int, latitude, longitude, taken_at: datetime) -> bytes:
    return demo_evidence_photo(
        seed=f"demo-photo-{order_id}", latitude=latitude, longitude=longitude, taken_at=taken_at
    )


def seed_demo(
    *, sponsor: Sponsor, users: dict | None = None, other_sponsor: Sponsor | None = None, **context
) -> Iterator[str]:
    yield from seed_demo_forests(sponsor=sponsor)
    if other_sponsor is not None:
        yield from seed_demo_other_forest(sponsor=other_sponsor)
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


def seed_demo_other_forest(*, sponsor: Sponsor) -> Iterator[str]:
    """The second sponsor's small forest: the same sandbox partner, a budget of a dozen trees."""
    partner = PlantingPartner.objects.get(name=DEMO_PARTNER_NAME)
    forest, created = BrandForest.objects.get_or_create(
        sponsor=sponsor,
        name=OTHER_FOREST_NAME,
        defaults={
            "story": "Birch and hazel hedgerows between the fields of the Drentsche Aa, and "
            "willows along the brook.",
            "area": OTHER_FOREST_AREA,
            "planting_partner": partner,
            "price_per_tree": DEMO_PRICE,
            "currency": "EUR",
            "capacity": 200,
        },
    )
    forest.full_clean()
    forest.species.add(*Species.objects.filter(code__in=OTHER_SPECIES))
    forest_budget_topup(
        forest=forest,
        amount=OTHER_TOPUP,
        idempotency_key=f"demo:topup:{sponsor.slug}:1",
        memo="Demo budget (small)",
    )
    yield (
        f"{'Created' if created else 'Found'} brand forest {forest.pk} '{forest.name}' for "
        f"{sponsor.name}: budget available EUR {forest_budget_available(forest.id)}."
    )


def demo_point_in(area: dict, rng: random.Random) -> tuple[float, float]:
    """A (latitude, longitude) inside the middle of a rectangular demo forest's polygon."""
    ring = area["coordinates"][0]
    lons = [p[0] for p in ring]
    lats = [p[1] for p in ring]
    lat = rng.uniform(min(lats), max(lats))
    lon = rng.uniform(min(lons), max(lons))
    # Stay off the edge: a quarter of the way in on each side.
    lat = min(lats) + (max(lats) - min(lats)) * (
        0.25 + 0.5 * (lat - min(lats)) / (max(lats) - min(lats))
    )
    lon = min(lons) + (max(lons) - min(lons)) * (
        0.25 + 0.5 * (lon - min(lons)) / (max(lons) - min(lons))
    )
    return round(lat, 6), round(lon, 6)


def demo_evidence_photo(
    *, seed: str, latitude: float, longitude: float, taken_at: datetime
) -> bytes:
    """A generated 'photo' of a freshly planted whip: sky, heath, a sapling with its guard,
    all placed by ``seed`` so no two look alike to the duplicate check, and EXIF carrying the
    capture time and the GPS position, as a partner's phone camera writes them."""
    rng = random.Random(seed)
    width, height = 640, 480
    image = Image.new("RGB", (width, height))
    draw = ImageDraw.Draw(image)
    horizon = rng.randint(150, 260)
    sky = (rng.randint(120, 190), rng.randint(160, 210), rng.randint(200, 245))
    for y in range(horizon):
        shade = y / horizon
        draw.line([(0, y), (width, y)], fill=tuple(int(c * (1 - 0.3 * shade)) for c in sky))
    ground = (rng.randint(70, 120), rng.randint(60, 100), rng.randint(30, 60))
    draw.rectangle([0, horizon, width, height], fill=ground)
    for _ in range(rng.randint(30, 60)):  # heather, grass and clods
        x, y = rng.randint(0, width), rng.randint(horizon, height)
        r = rng.randint(4, 30)
        tint = (rng.randint(60, 150), rng.randint(50, 130), rng.randint(20, 110))
        draw.ellipse([x - r, y - r // 2, x + r, y + r // 2], fill=tint)
    for _ in range(rng.randint(2, 6)):  # trees on the horizon
        x = rng.randint(0, width)
        r = rng.randint(20, 60)
        draw.ellipse(
            [x - r, horizon - 2 * r, x + r, horizon + 5], fill=(30, rng.randint(70, 110), 40)
        )
    cx = rng.randint(width // 3, 2 * width // 3)
    base = rng.randint(horizon + 120, height - 30)
    top = base - rng.randint(120, 200)
    draw.rectangle([cx - 18, base - 90, cx + 18, base], outline=(200, 200, 190), width=4)  # guard
    draw.line([(cx, base), (cx, top)], fill=(90, 60, 30), width=6)  # the whip
    for _ in range(rng.randint(4, 9)):
        ly = rng.randint(top, base - 40)
        x0, x1 = sorted((cx + rng.choice((-1, 1)) * 6, cx + rng.randint(-40, 40)))
        draw.ellipse([x0, ly - 8, x1 + 1, ly + 8], fill=(60, 150, 50))
    buf = io.BytesIO()
    image.save(buf, "JPEG", quality=85, exif=_evidence_exif(taken_at, latitude, longitude))
    return buf.getvalue()


def demo_partner_reports(*, now: datetime | None = None) -> Iterator[str]:
    """What the sandbox partner does on a night of the demo: plants the orders it accepted
    two to seven weeks ago (``_planting_lag``), in their species' planting season, reporting
    each with a photo whose GPS lies inside the forest (the partner API's service); half of
    the time the crew reports the planting first and the photo follows with the next site
    visit, three weeks later (the order waits as planted, unverified). Then it checks the
    survival of plantings that turned a year (one in twelve did not make it)."""
    now = now or timezone.now()
    partner = PlantingPartner.objects.filter(name=DEMO_PARTNER_NAME).first()
    if partner is None:
        return
    funded = PlantingOrder.objects.filter(
        partner=partner, state=PlantingOrder.State.FUNDED, updated_at__lte=now - PLANTED_AFTER
    ).select_related("forest", "tree__species")
    planted = 0
    for order in funded.order_by("id"):
        if timezone.localdate(now).month not in (order.tree.species.planting_months or []):
            continue
        if order.updated_at > now - _planting_lag(order.pk):
            continue
        rng = random.Random(f"demo-plant-{order.pk}")
        latitude, longitude = demo_point_in(order.forest.area, rng)
        if order.pk % 2 == 0:  # reported from the field; the photo follows
            planting_order_transition(
                order_id=order.pk,
                to_state=PlantingOrder.State.PLANTED,
                note="reported by the planting crew; photo to follow",
                at=now,
                planted_latitude=latitude,
                planted_longitude=longitude,
            )
        else:
            partner_order_report_planted(
                partner_id=partner.pk,
                order_id=order.pk,
                photo=_photo(order.pk, latitude, longitude, now),
                latitude=latitude,
                longitude=longitude,
                planted_at=now,
            )
        planted += 1
    late = PlantingOrder.objects.filter(
        partner=partner,
        state=PlantingOrder.State.PLANTED,
        planted_at__lte=now - PHOTO_AFTER,
        planted_latitude__isnull=False,
    )
    for order in late.order_by("id"):
        photo = _photo(order.pk, order.planted_latitude, order.planted_longitude, now)
        planting_evidence_add(order_id=order.pk, data=photo)
    checked = 0
    due = PlantingOrder.objects.filter(
        partner=partner,
        state__in=(PlantingOrder.State.VERIFIED, PlantingOrder.State.SURVIVAL_CHECKED),
        planted_at__isnull=False,
    )
    for order in due.order_by("id"):
        year = (timezone.localdate(now) - timezone.localdate(order.planted_at)).days // 365
        if not 1 <= year <= 5 or order.survival_checks.filter(year=year).exists():
            continue
        survival_check_record(
            order_id=order.pk,
            year=year,
            alive=order.pk % 12 != 5,
            checked_on=timezone.localdate(now),
            note="Demo partner's yearly walk through the planting.",
        )
        checked += 1
    if planted or checked:
        yield (
            f"Planting partner: {planted} order(s) planted with photos, "
            f"{checked} survival check(s)."
        )
