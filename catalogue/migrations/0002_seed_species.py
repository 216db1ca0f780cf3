"""Seed the species users can grow.

Saxaul and red willow cost what they cost in Ant Forest (17,900 g ≈ a year of daily green
habits; 22,400 g). The Dutch natives are priced against saxaul by two things a user can feel:
what the sapling costs the planting partner and how long it needs care before it stands on its
own. Energy is a loyalty currency, not the CO2 the tree will absorb.
"""

from django.db import migrations

SPECIES = [
    # code, English, Dutch, Latin, cost in grams, planting months
    # Alxa desert, planted in spring and autumn (Ant Forest).
    ("saxaul", "Saxaul", "Saxaul", "Haloxylon ammodendron", 17_900, [3, 4, 10, 11]),
    # Ant Forest's price; planted as cuttings in spring.
    ("red-willow", "Red willow", "Rode wilg", "Salix cheilophila", 22_400, [3, 4, 5]),
    # Dutch bare-root season is November to March, while the trees are dormant.
    # Hazel: a shrub, the cheapest whip and the quickest to establish: two thirds of saxaul.
    ("hazelaar", "Hazel", "Hazelaar", "Corylus avellana", 12_000, [11, 12, 1, 2, 3]),
    # Silver birch: pioneer, cheap 1+1 whip, grows fast on poor sand; a little under saxaul.
    ("ruwe-berk", "Silver birch", "Ruwe berk", "Betula pendula", 15_000, [11, 12, 1, 2, 3]),
    # Black alder: pioneer of wet soils, fixes its own nitrogen; about saxaul's price.
    ("zwarte-els", "Black alder", "Zwarte els", "Alnus glutinosa", 16_500, [11, 12, 1, 2, 3]),
    # Pedunculate oak: slow, needs years of protection from deer and a dearer sapling, and
    # lives for centuries; the long-haul tree, a third dearer than red willow.
    ("zomereik", "Pedunculate oak", "Zomereik", "Quercus robur", 30_000, [11, 12, 1, 2, 3]),
]


def seed(apps, schema_editor):
    Species = apps.get_model("catalogue", "Species")
    for code, name_en, name_nl, latin, cost, months in SPECIES:
        Species.objects.update_or_create(
            code=code,
            defaults={
                "name_en": name_en,
                "name_nl": name_nl,
                "latin_name": latin,
                "energy_cost_grams": cost,
                "stage_thresholds": [5, 15, 30, 50, 70, 100],
                "planting_months": months,
            },
        )


class Migration(migrations.Migration):
    dependencies = [("catalogue", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
