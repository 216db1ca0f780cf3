"""The starting catalogue of green-action rules, as plain data.

Every figure here is an **estimated avoided emission**: grams of CO2e that a green choice
probably avoided compared with a reference choice (usually a petrol car or a new product),
computed as ``activity x (reference factor - solution factor) x substitution share`` in the
spirit of the WBCSD Guidance on Avoided Emissions (2023). They are reported apart from any
footprint, they are not offsets, not carbon credits and not a claim of neutrality; Canopy
turns them into "green energy" points (1 g estimated avoided CO2e = 1 g energy, as Ant Forest
defines it). Operators may change every value in the admin; this module only seeds it.

A data migration loads ``CATALOGUE`` into ``forest.GreenActionRule``. Each rule dict has exactly
the keys in ``RULE_KEYS``:

- matching: ``match_mccs`` (four-digit strings), ``match_merchants`` (names already passed
  through ``accounts.normalise.normalise_merchant``; the engine compares them with the
  normalised merchant name of a transaction), ``match_merchant_ids`` (provider merchant ids
  such as Plaid ``merchant_entity_id``), ``match_categories`` (Plaid
  ``personal_finance_category.detailed`` values) and ``match_description_regex`` (applied
  case-insensitively; only the subset Python ``re`` and PostgreSQL ``~*`` share: no
  lookbehind, no named groups, no ``\\b``). A rule matches when any non-empty matcher matches.
  When several rules match one transaction, the highest ``priority`` wins; priorities are
  unique, and merchant-specific rules outrank MCC- or category-only ones.
- estimate: ``estimate_kind`` is one of

  - ``fixed``: ``fixed_grams`` per transaction;
  - ``per_currency_unit``: ``|amount_eur| x grams_per_unit x substitution_share``;
  - ``per_km_from_fare``: ``|amount_eur| / fare_per_km x grams_per_km x substitution_share``.

  Numeric fields an estimate kind does not use are ``0`` (``"0"`` for decimals) and
  ``substitution_share`` is ``"1"`` for fixed rules, whose ``fixed_grams`` is already final.
  Decimals are strings so they load into ``DecimalField`` without float noise.
- ``daily_cap_grams`` caps what one user earns from one rule per day (applied by the engine,
  not by ``estimate_grams``). ``awards_energy=False`` marks negative signals (fuel, flights):
  they award nothing and only feed the footprint view.

The "sponsor's green product" row of the product catalogue is not a rule here: sponsors set it
up as a campaign (``partners.Campaign``). Only money-out transactions are meant to be scored;
refunds and reversals are handled by the engine's reversal logic.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal

from accounts.normalise import normalise_merchant

# --------------------------------------------------------------------------------------------
# Currency conversion
# --------------------------------------------------------------------------------------------

# ECB euro foreign-exchange reference rates, 2024 annual averages (units of currency per EUR 1;
# seeded 2026 from the published averages, not re-checked against a stored ECB file). They
# convert non-EUR spend before estimating and the GBP-based second-hand factor below; check
# them against the ECB statistics (or use the ECB rate of the transaction date) in production.
_ECB_UNITS_PER_EUR_2024_AVERAGE = {
    "GBP": "0.84662",
    "USD": "1.0824",
    "CHF": "0.9526",
    "SEK": "11.4325",
    "DKK": "7.4589",
    "NOK": "11.6290",
    "PLN": "4.3058",
    "CZK": "25.120",
}
_SIX_PLACES = Decimal("0.000001")

#: EUR value of one unit of each currency, as decimal strings (EUR = "1").
FX_TO_EUR: dict[str, str] = {"EUR": "1"} | {
    code: str((Decimal(1) / Decimal(rate)).quantize(_SIX_PLACES, rounding=ROUND_HALF_UP))
    for code, rate in _ECB_UNITS_PER_EUR_2024_AVERAGE.items()
}

# --------------------------------------------------------------------------------------------
# Factors (UK DESNZ 2022 GHG conversion factors as charted by Our World in Data, g CO2e/km)
# --------------------------------------------------------------------------------------------

PETROL_CAR_G_PER_KM = 170
BUS_G_PER_KM = 97
NATIONAL_RAIL_G_PER_KM = 35
ELECTRIC_CAR_G_PER_KM = 47

# Rail: average fare per km, EUR (see the rail rule's method for the reasoning).
RAIL_FARE_EUR_PER_KM = Decimal("0.20")
RAIL_SUBSTITUTION_SHARE = Decimal("0.5")

# Bike and e-moped share: assumed trip length when the provider gives none.
SHARED_TRIP_KM = 3
BIKE_SUBSTITUTION_SHARE = Decimal("0.5")

# Second-hand: Ulster Bank carbon tracker, dress GBP 15: high street ~16 kg (1.07 kg/GBP) vs
# charity shop ~4 kg (0.27 kg/GBP).
SECOND_HAND_NEW_KG_PER_GBP = Decimal("1.07")
SECOND_HAND_USED_KG_PER_GBP = Decimal("0.27")
SECOND_HAND_DISPLACEMENT = Decimal("0.5")
_SECOND_HAND_G_PER_GBP = (SECOND_HAND_NEW_KG_PER_GBP - SECOND_HAND_USED_KG_PER_GBP) * 1000
SECOND_HAND_G_PER_EUR = (_SECOND_HAND_G_PER_GBP / Decimal(FX_TO_EUR["GBP"])).quantize(
    Decimal("0.01"), rounding=ROUND_HALF_UP
)

# EV charging: public charging tariff (EUR/kWh) and efficiency (km/kWh, incl. charging losses).
EV_TARIFF_EUR_PER_KWH = Decimal("0.50")
EV_KM_PER_KWH = Decimal("5")
EV_G_PER_EUR = (
    Decimal(1)
    / EV_TARIFF_EUR_PER_KWH
    * EV_KM_PER_KWH
    * (PETROL_CAR_G_PER_KM - ELECTRIC_CAR_G_PER_KM)
).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)

# Ant Forest per-action values (GDFA / Ant Forest public material).
ANT_FOREST_METRO_RIDE_G = 52
ANT_FOREST_BUS_RIDE_G = 80
ANT_FOREST_ONLINE_BILL_G = 262

# --------------------------------------------------------------------------------------------
# Daily caps, grams per user per rule per day. The estimates above stay honest (a EUR 12.40
# train ticket really may avoid ~4 kg); the caps set the game's pace, Ant Forest's: its steps
# channel tops out at 296 g a day and its cheapest tree (saxaul, 17,900 g) takes an active user
# two to six months. So every cap is at most the per-user daily total cap
# (``forest.EnergyLimits``, 300 g by default) and most are below it: one action alone does not
# fill a day, two different ones do. What one user can earn in a day is the total cap, not the
# sum of these (2,913 g). docs/economy.md has the simulated pace of each persona.
# --------------------------------------------------------------------------------------------

CAP_METRO_TRAM = 4 * ANT_FOREST_METRO_RIDE_G  # 208: a return commute with a transfer each way
CAP_BUS = 3 * ANT_FOREST_BUS_RIDE_G  # 240: three bus rides
CAP_RAIL = 200  # a day of train travel, however long (the estimate is often kilograms)
CAP_BIKE_SHARE = 255  # one 3 km ride counts in full
CAP_E_MOPED_SHARE = 185  # one 3 km ride
CAP_BIKE_SHOP = 255  # one purchase or subscription payment a day counts
CAP_SECOND_HAND = 250  # one second-hand purchase a day (a GBP 15 dress is estimated 6,001 g)
CAP_REPAIR = 150  # one repair a day
CAP_RENTAL = 200  # two rentals a day
CAP_EV = 250  # a day of electric driving (a full charge is estimated kilograms)
CAP_PAPERLESS = ANT_FOREST_ONLINE_BILL_G  # 262: one online bill or e-ticket a day

ACTION_TYPES = (
    "public_transport",
    "rail",
    "bike",
    "second_hand",
    "repair_rental",
    "ev_charging",
    "paperless",
    "negative_signal",
)
ESTIMATE_KINDS = ("fixed", "per_currency_unit", "per_km_from_fare")
RULE_KEYS = (
    "code",
    "name_en",
    "name_nl",
    "action_type",
    "priority",
    "match_mccs",
    "match_merchants",
    "match_aliases",
    "exclude_names",
    "match_merchant_ids",
    "match_categories",
    "match_description_regex",
    "estimate_kind",
    "fixed_grams",
    "grams_per_unit",
    "fare_per_km",
    "grams_per_km",
    "substitution_share",
    "method",
    "source",
    "version",
    "daily_cap_grams",
    "awards_energy",
)

_DESNZ = "UK DESNZ GHG conversion factors 2022 (via Our World in Data, g CO2e/pkm)"
_ANT_FOREST = "Ant Forest per-action energy values (GDFA report on Ant Forest)"


def _merchants(names: Iterable[str]) -> list[str]:
    """Human merchant names -> normalised allow-list entries, de-duplicated, order kept."""
    return list(dict.fromkeys(normalise_merchant(name) for name in names))


def _rule(
    *,
    code: str,
    name_en: str,
    name_nl: str,
    action_type: str,
    priority: int,
    method: str,
    source: str,
    daily_cap_grams: int,
    mccs: Iterable[str] = (),
    merchants: Iterable[str] = (),
    merchant_ids: Iterable[str] = (),
    categories: Iterable[str] = (),
    description_regex: str = "",
    estimate_kind: str = "fixed",
    fixed_grams: int = 0,
    grams_per_unit: Decimal | int = 0,
    fare_per_km: Decimal | int = 0,
    grams_per_km: Decimal | int = 0,
    substitution_share: Decimal | int = 1,
    awards_energy: bool = True,
) -> dict:
    return {
        "code": code,
        "name_en": name_en,
        "name_nl": name_nl,
        "action_type": action_type,
        "priority": priority,
        "match_mccs": list(mccs),
        "match_merchants": _merchants(merchants),
        "match_aliases": [],
        "exclude_names": [],
        "match_merchant_ids": list(merchant_ids),
        "match_categories": list(categories),
        "match_description_regex": description_regex,
        "estimate_kind": estimate_kind,
        "fixed_grams": fixed_grams,
        "grams_per_unit": str(grams_per_unit),
        "fare_per_km": str(fare_per_km),
        "grams_per_km": str(grams_per_km),
        "substitution_share": str(substitution_share),
        "method": method,
        "source": source,
        "version": 1,
        "daily_cap_grams": daily_cap_grams,
        "awards_energy": awards_energy,
    }


_RAIL_G_PER_KM = PETROL_CAR_G_PER_KM - NATIONAL_RAIL_G_PER_KM  # 135
_BIKE_RIDE_G = int(
    (SHARED_TRIP_KM * PETROL_CAR_G_PER_KM * BIKE_SUBSTITUTION_SHARE).quantize(
        Decimal(1), rounding=ROUND_HALF_UP
    )
)  # 3 x 170 x 0.5 = 255
_E_MOPED_RIDE_G = int(
    (
        SHARED_TRIP_KM * (PETROL_CAR_G_PER_KM - ELECTRIC_CAR_G_PER_KM) * BIKE_SUBSTITUTION_SHARE
    ).quantize(Decimal(1), rounding=ROUND_HALF_UP)
)  # 3 x (170 - 47) x 0.5 = 184.5 -> 185

_AIRLINE_MCCS = ["4511", *(str(code) for code in range(3000, 3351))]

CATALOGUE: list[dict] = [
    # ---- EV charging: beats the fuel rule (Shell Recharge vs Shell, bp pulse vs BP) ----------
    _rule(
        code="ev-charging",
        name_en="EV charging",
        name_nl="Elektrisch laden",
        action_type="ev_charging",
        priority=200,
        mccs=["5552"],
        merchants=[
            "Fastned",
            "Allego",
            "Vattenfall InCharge",
            "InCharge",
            "Shell Recharge",
            "NewMotion",
            "Ionity",
            "Tesla Supercharger",
            "bp pulse",
            "ChargePoint",
            "Plugsurfing",
            "Eneco eMobility",
            "Electra",
        ],
        estimate_kind="per_currency_unit",
        grams_per_unit=EV_G_PER_EUR,
        method=(
            "kWh = spend / EUR 0.50 per kWh (assumed public tariff: AC points about EUR 0.35-0.45"
            " and DC fast chargers about EUR 0.60-0.80 per kWh in the Netherlands); km = kWh x 5"
            " km/kWh (0.20 kWh/km including charging losses); avoided = km x (petrol car 170 -"
            " electric car 47) = 123 g/km; substitution share 1, because the kilometres are"
            " driven anyway and the reference is the same kilometres in a petrol car. Per euro:"
            " 2 kWh x 5 km x 123 g = 1,230 g. Example: EUR 10 -> 20 kWh -> 100 km -> 12,300 g."
            " Tariff and efficiency are assumptions; the electric-car factor uses the UK 2022"
            " grid."
        ),
        source=f"{_DESNZ}: petrol car 170, electric car 47 g/km; tariff and km/kWh assumed",
        daily_cap_grams=CAP_EV,
    ),
    # ---- Negative signals: award nothing, outrank everything but EV charging ----------------
    _rule(
        code="flight",
        name_en="Flight",
        name_nl="Vliegreis",
        action_type="negative_signal",
        priority=190,
        mccs=_AIRLINE_MCCS,
        merchants=[
            "KLM",
            "KLM Royal Dutch Airlines",
            "Transavia",
            "Ryanair",
            "easyJet",
            "Lufthansa",
            "British Airways",
            "Air France",
            "Vueling",
            "Wizz Air",
            "Corendon",
            "TUI fly",
        ],
        categories=["TRAVEL_FLIGHTS"],
        method=(
            "No energy. Airline MCCs (4511 and the named-airline range 3000-3350), airline"
            " merchants and Plaid TRAVEL_FLIGHTS mark a flight; it is shown in the footprint view"
            " only (short-haul flight about 151 g CO2e per passenger-km). Its high priority keeps"
            " an airline e-ticket from earning paperless energy."
        ),
        source=f"{_DESNZ}; ISO 18245 / Visa MCC lists",
        daily_cap_grams=0,
        awards_energy=False,
    ),
    _rule(
        code="fuel",
        name_en="Fuel purchase",
        name_nl="Brandstof tanken",
        action_type="negative_signal",
        priority=180,
        mccs=["5541", "5542", "5983"],
        merchants=[
            "Shell",
            "BP",
            "Esso",
            "TotalEnergies",
            "Total",
            "Texaco",
            "Tango",
            "Tinq",
            "Avia",
            "Q8",
            "Gulf",
            "Aral",
            "Circle K",
        ],
        categories=["TRANSPORTATION_GAS"],
        method=(
            "No energy. Service-station MCCs 5541/5542, fuel dealers 5983, fuel brands and Plaid"
            " TRANSPORTATION_GAS mark fossil fuel; shown in the footprint view only (combustion"
            " about 2.3 kg CO2 per litre of petrol). EV charging at the same brands (Shell"
            " Recharge, bp pulse) is matched by the higher-priority ev-charging rule."
        ),
        source="EPA GHG Emission Factors Hub (Jan 2025): 8.78 kg CO2 per gallon of gasoline",
        daily_cap_grams=0,
        awards_energy=False,
    ),
    # ---- Rail -----------------------------------------------------------------------------
    _rule(
        code="rail",
        name_en="Train journey",
        name_nl="Treinreis",
        action_type="rail",
        priority=170,
        mccs=["4112"],
        merchants=[
            "NS",
            "NS Reizigers",
            "NS Groep",  # how many Dutch bank statements name NS ("NS GROEP IZ NS REIZIGERS")
            "NS International",
            "NS Internationaal",
            "Arriva trein",
            "Blauwnet",
            "Eurostar",
            "Thalys",
            "DB",
            "Deutsche Bahn",
            "DB Fernverkehr",
            "DB Vertrieb",
            "SNCF",
            "SNCF Connect",
            "NMBS/SNCB",
            "SNCB",
            "NMBS",
            "ÖBB",
            "SBB",
            "Trenitalia",
            "Renfe",
            "Trainline",
            "National Rail",
            "LNER",
            "GWR",
            "Amtrak",
        ],
        estimate_kind="per_km_from_fare",
        fare_per_km=RAIL_FARE_EUR_PER_KM,
        grams_per_km=_RAIL_G_PER_KM,
        substitution_share=RAIL_SUBSTITUTION_SHARE,
        method=(
            "km = fare / EUR 0.20 per km; avoided = km x (petrol car 170 - national rail 35) ="
            " 135 g/km x substitution share 0.5 (not every train trip replaces a car trip)."
            " EUR 0.20/km is an assumed average: NS second-class single fares work out at"
            " roughly EUR 0.22-0.25/km on 30-70 km trips and fall below EUR 0.20/km on long"
            " trips (degressive tariff), and advance international fares (Eurostar, DB, SNCF)"
            " are often EUR 0.10-0.25/km. A higher fare per km means fewer km, so the estimate"
            " errs low for expensive tickets. Example: EUR 12.40 -> 62 km -> 62 x 135 x 0.5 ="
            " 4,185 g. Replace with station pairs or a country fare table when available."
        ),
        source=f"{_DESNZ}: petrol car 170, national rail 35 g/km; fare per km assumed",
        daily_cap_grams=CAP_RAIL,
    ),
    # ---- Bike and e-moped share --------------------------------------------------------------
    _rule(
        code="e-moped-share",
        name_en="Shared e-moped ride",
        name_nl="Deelscooterrit",
        action_type="bike",
        priority=160,
        merchants=[
            "Check",
            "Check Technologies",
            "Felyx",
            "GO Sharing",
            "Cityscoot",
        ],
        fixed_grams=_E_MOPED_RIDE_G,
        method=(
            "Fixed per ride: default trip 3 km x (petrol car 170 - 47) g/km x substitution share"
            " 0.5 = 184.5 -> 185 g. An e-moped uses far less electricity than an electric car,"
            " so taking the electric-car factor (47 g/km) as its emissions is conservative."
            " Trip length and substitution share are assumptions."
        ),
        source=f"{_DESNZ}; 3 km trip and 0.5 substitution share assumed",
        daily_cap_grams=CAP_E_MOPED_SHARE,
    ),
    _rule(
        code="bike-share",
        name_en="Shared bike or kick-scooter ride",
        name_nl="Deelfiets- of deelsteprit",
        action_type="bike",
        priority=150,
        merchants=[
            "OV-fiets",
            "nextbike",
            "Lime",
            "Donkey Republic",
            "Tier",
            "TIER Mobility",
            "Dott",
            "Urbee",
            "Cargoroo",
            "Vélib' Métropole",
            "Velib",
            "Citi Bike",
            "Santander Cycles",
        ],
        categories=["TRANSPORTATION_BIKES_AND_SCOOTERS"],
        fixed_grams=_BIKE_RIDE_G,
        method=(
            "Fixed per ride: default trip 3 km x petrol car 170 g/km (cycling counted as 0) x"
            " substitution share 0.5 = 255 g; many bike trips replace walking or public"
            " transport rather than a car. There is no bike-share MCC, so operators are matched"
            " by name and by Plaid TRANSPORTATION_BIKES_AND_SCOOTERS."
        ),
        source=f"{_DESNZ}; 3 km trip and 0.5 substitution share assumed",
        daily_cap_grams=CAP_BIKE_SHARE,
    ),
    # ---- Public transport: named operators ----------------------------------------------------
    _rule(
        code="metro-tram",
        name_en="Metro or tram ride",
        name_nl="Metro- of tramrit",
        action_type="public_transport",
        priority=140,
        merchants=[
            "GVB",
            "RET",
            "HTM",
            "TfL",
            "Transport for London",
            "MTA",
            "BVG",
            "RATP",
            "MVG",
            "Wiener Linien",
            "STIB-MIVB",
            "HVV",
        ],
        fixed_grams=ANT_FOREST_METRO_RIDE_G,
        method=(
            "Fixed 52 g per ride, Ant Forest's value for a metro ride. For comparison, DESNZ 2022"
            " gives car 170 vs tram 29 / London Underground 28 g/km, so 52 g is the saving on a"
            " trip of well under 1 km: deliberately conservative, because the distance is unknown."
        ),
        source=f"{_ANT_FOREST}: 52 g a metro ride; {_DESNZ}",
        daily_cap_grams=CAP_METRO_TRAM,
    ),
    _rule(
        code="bus",
        name_en="Bus or coach ride",
        name_nl="Bus- of touringcarrit",
        action_type="public_transport",
        priority=130,
        mccs=["4131"],
        merchants=[
            "EBS",
            "Arriva",
            "Connexxion",
            "Qbuzz",
            "Keolis",
            "Transdev",
            "U-OV",
            "Breng",
            "De Lijn",
            "Stagecoach",
            "FlixBus",
        ],
        fixed_grams=ANT_FOREST_BUS_RIDE_G,
        method=(
            "Fixed 80 g per ride, Ant Forest's value for a bus ride. Per km the saving would be"
            " car 170 - bus 97 = 73 g/km (DESNZ 2022), so 80 g is about 1.1 km: conservative,"
            " because the distance is unknown."
        ),
        source=f"{_ANT_FOREST}: 80 g a bus ride; {_DESNZ}",
        daily_cap_grams=CAP_BUS,
    ),
    # ---- Second-hand ----------------------------------------------------------------------------
    _rule(
        code="second-hand-marketplace",
        name_en="Second-hand purchase online",
        name_nl="Tweedehands online gekocht",
        action_type="second_hand",
        priority=120,
        merchants=[
            "Vinted",
            "Marktplaats",
            "2dehands",
            "Vestiaire Collective",
            "Depop",
            "Sellpy",
        ],
        estimate_kind="per_currency_unit",
        grams_per_unit=SECOND_HAND_G_PER_EUR,
        substitution_share=SECOND_HAND_DISPLACEMENT,
        method=(
            "avoided = spend x (new 1.07 - second-hand 0.27) kg/GBP x displacement 0.5."
            " 0.80 kg/GBP = 800 g/GBP; at EUR 1 = GBP 0.84662 (ECB 2024 average) that is"
            " 800 x 0.84662 = 677.30 g per EUR before displacement; the displacement share 0.5"
            " says not every second-hand purchase replaces a new one. Example: EUR 20 -> 20 x"
            " 677.30 x 0.5 = 6,773 g. The Ulster Bank figures are for clothing (a GBP 15 dress,"
            " high street about 16 kg vs charity shop about 4 kg); using them for all"
            " second-hand goods is an assumption. Only purchases count, not seller fees."
        ),
        source="Ulster Bank carbon tracker figures; ECB reference rate 2024 average",
        daily_cap_grams=CAP_SECOND_HAND,
    ),
    _rule(
        code="second-hand-shop",
        name_en="Second-hand shop",
        name_nl="Kringloop- of tweedehandswinkel",
        action_type="second_hand",
        priority=110,
        mccs=["5931", "5932", "5933"],
        merchants=[
            "Kringloop Het Goed",
            "Het Goed",
            "Kringloop",
            "Kringloopwinkel",
            "Kringloopcentrum",
            "Emmaus",
            "Rataplan",
            "Dorcas",
            "2ndhands",
            "Oxfam Novib Winkel",
            "Oxfam Novib Boekwinkel",
            "Oxfam Novib Shop",
            "ReShare Store",
            "Humana",
            "Episode",
            "Think Twice",
            "Oxfam Shop",
            "Goodwill",
        ],
        estimate_kind="per_currency_unit",
        grams_per_unit=SECOND_HAND_G_PER_EUR,
        substitution_share=SECOND_HAND_DISPLACEMENT,
        method=(
            "avoided = spend x (new 1.07 - second-hand 0.27) kg/GBP x displacement 0.5 ="
            " 677.30 g/EUR x 0.5 (800 g/GBP x 0.84662 GBP/EUR, ECB 2024 average). Used goods"
            " (MCC 5931), antiques (5932) and pawn-shop sales (5933; pawn loans are money in and"
            " are not scored). Charities that also take donations (Oxfam Novib) are listed by"
            " their shop names only, so a donation is not mistaken for a purchase. Clothing"
            " figures applied to all second-hand goods: an assumption."
        ),
        source="Ulster Bank carbon tracker figures; ECB reference rate 2024 average",
        daily_cap_grams=CAP_SECOND_HAND,
    ),
    # ---- Repair, rental, sharing: points without a kg claim -----------------------------------
    _rule(
        code="repair",
        name_en="Repair",
        name_nl="Reparatie",
        action_type="repair_rental",
        priority=100,
        mccs=["7251", "7631", "7699", "7622", "7629", "7641"],
        merchants=["Mister Minit", "Timpson", "iFixit"],
        fixed_grams=150,
        method=(
            "Fixed 150 points per repair (shoes 7251, watches and jewellery 7631, electronics"
            " 7622, small appliances 7629, furniture 7641, other 7699). Repair extends a"
            " product's life, but the replacement it avoids is unknown, so the copy makes no kg"
            " claim; 150 is a points value of about three Ant Forest transit rides."
        ),
        source="Canopy points value (no emission factor); MCCs from ISO 18245",
        daily_cap_grams=CAP_REPAIR,
    ),
    _rule(
        code="rental-sharing",
        name_en="Rental or sharing instead of buying",
        name_nl="Huren of delen in plaats van kopen",
        action_type="repair_rental",
        priority=90,
        mccs=["7296", "7394"],
        merchants=["Peerby", "LENA the fashion library", "Rent the Runway", "Fat Llama"],
        fixed_grams=100,
        method=(
            "Fixed 100 points per rental (clothing rental 7296; equipment, tool, furniture and"
            " appliance rental 7394; sharing platforms). Renting avoids an unknown share of a"
            " purchase, so the copy makes no kg claim; 100 is a points value of about two Ant"
            " Forest metro rides."
        ),
        source="Canopy points value (no emission factor); MCCs from ISO 18245",
        daily_cap_grams=CAP_RENTAL,
    ),
    # ---- Bike shops and bike subscriptions ----------------------------------------------------
    _rule(
        code="bike-shop",
        name_en="Bike shop or bike subscription",
        name_nl="Fietsenwinkel of fietsabonnement",
        action_type="bike",
        priority=80,
        mccs=["5940"],
        merchants=["Swapfiets", "Bike Totaal", "Profile de Fietsspecialist", "Fietsenwinkel"],
        fixed_grams=_BIKE_RIDE_G,
        method=(
            "Fixed 255 g per payment, the same as one 3 km bike trip (3 x 170 x 0.5): a bike"
            " purchase, service or monthly subscription enables cycling but says nothing about"
            " how much, so it counts as one trip and never in proportion to spend."
        ),
        source=f"{_DESNZ}; one 3 km trip per payment assumed",
        daily_cap_grams=CAP_BIKE_SHOP,
    ),
    # ---- Public transport: MCC / category only ------------------------------------------------
    _rule(
        code="public-transport",
        name_en="Public transport",
        name_nl="Openbaar vervoer",
        action_type="public_transport",
        priority=70,
        mccs=["4111"],
        categories=["TRANSPORTATION_PUBLIC_TRANSIT"],
        fixed_grams=ANT_FOREST_METRO_RIDE_G,
        method=(
            "Fixed 52 g per ride (Ant Forest metro value, the lower of its metro and bus values)"
            " for commuter transport (MCC 4111, including ferries) and Plaid"
            " TRANSPORTATION_PUBLIC_TRANSIT when no named operator or rail rule matched."
        ),
        source=f"{_ANT_FOREST}: 52 g a metro ride",
        daily_cap_grams=CAP_METRO_TRAM,
    ),
    # ---- Paperless: lowest priority, any other match wins --------------------------------------
    _rule(
        code="paperless",
        name_en="Paperless bill or e-ticket",
        name_nl="Digitale factuur of e-ticket",
        action_type="paperless",
        priority=10,
        description_regex=(
            "(^|[^a-z0-9])e-?(tickets?|factuur|bill|billing)([^a-z]|$)"
            "|digitale (factuur|nota|rekening)"
            "|online (bill|invoice|statement)"
            "|paperless|papierloos"
            "|facture en ligne|e-?rechnung|online-?rechnung|rechnung online"
        ),
        fixed_grams=ANT_FOREST_ONLINE_BILL_G,
        method=(
            "Fixed 262 g per online bill or e-ticket, Ant Forest's value for paying a utility"
            " bill online instead of on paper. Detected from the description only; any other"
            " rule that matches (a train, a flight) wins."
        ),
        source=f"{_ANT_FOREST}: 262 g an online utility bill",
        daily_cap_grams=CAP_PAPERLESS,
    ),
]

# --------------------------------------------------------------------------------------------
# Names as banks write them (issue 12): more merchants, aliases, and the look-alikes that are
# another business. Scoring matches a name on its first one to three whole words and the
# longest match wins, so an excluded "db schenker" beats the rail rule's "db", and "shell
# recharge" (EV charging) beats the fuel rule's "shell". Kept apart from the rules above so the
# factors and caps there read on their own; ``benchmarks/classification_bench.py`` measures
# what these lists recognise.
# --------------------------------------------------------------------------------------------

_RECOGNITION: dict[str, dict[str, list[str]]] = {
    "ev-charging": {
        "merchants": [
            "Aral pulse",
            "EnBW mobility",
            "EnBW mobility+",
            "EWE Go",
            "Izivia",
            "Freshmile",
            "Electrify America",
            "EVgo",
            "Blink Charging",
            "Pod Point",
            "Osprey Charging",
            "InstaVolt",
            "Gridserve",
            "EVBox",
            "Last Mile Solutions",
            "Tesla Supercharger",
            "Chargemap",
            "Elli",
            "Pluq",
            "Community by Shell Recharge",
        ],
        "aliases": ["Supercharger", "Vattenfall Incharge", "Allego Charging", "Fastned Charging"],
    },
    "flight": {
        "merchants": [
            "Deutsche Lufthansa",
            "Brussels Airlines",
            "Eurowings",
            "Jet2",
            "United Airlines",
            "Delta Air Lines",
            "American Airlines",
            "Southwest Airlines",
        ]
    },
    "fuel": {
        "merchants": [
            "Shell Express",
            "Aral Tankstelle",
            "Esso Express",
            "Total Access",
            "Chevron",
            "Exxon",
            "Mobil",
            "Sunoco",
            "Valero",
            "JET Tankstelle",
        ],
        "exclude": ["Total Wine", "Total Fitness", "Gulf Coast", "Mobil Home"],
    },
    "rail": {
        "merchants": [
            "DB Bahn",
            "DB Regio",
            "DB Reise",
            "Bahn",
            "FlixTrain",
            "OUIGO",
            "TGV Inoui",
            "Avanti West Coast",
            "ScotRail",
            "Southeastern",
            "Thameslink",
            "Northern Trains",
            "Southern Railway",
            "CrossCountry",
            "TransPennine Express",
            "Greater Anglia",
            "Chiltern Railways",
            "Merseyrail",
            "Westbahn",
            "European Sleeper",
            "Caltrain",
            "Metra",
            "LIRR",
            "Eurostar International",
            "Great Western Railway",
            "NS Reizen",
            "Qbuzz trein",
            "Keolis Nederland trein",
            "Trainline.com",
            "Omio",
        ],
        "aliases": [
            "Deutsche Bahn AG",
            "DB Fernverkehr AG",
            "SNCF Voyageurs",
            "SNCB Europe",
            "Thalys International",
        ],
        "exclude": [
            "DB Schenker",
            "DB Cargo",
            "Schenker",
            "NS Stations",
            "Bahnhof",
            "Bahn Apotheke",
            "SNCF Fret",
        ],
    },
    "e-moped-share": {
        "merchants": [
            "Check Technologies",
            "Felyx",
            "GO Sharing",
            "Cityscoot",
            "Cooltra",
            "Yego",
            "Zig Zag",
        ],
        "exclude": [
            "Check Into",
            "Check N Go",
            "Check Cashing",
            "Check City",
            "Check Printing",
            "Checks Unlimited",
        ],
    },
    "bike-share": {
        "merchants": [
            "Bird Rides",
            "Voi",
            "Voi Technology",
            "Blue-bike",
            "Villo",
            "Call a Bike",
            "MVG Rad",
            "Bixi",
            "Divvy",
            "Capital Bikeshare",
            "Bay Wheels",
            "Beryl",
            "HumanForest",
            "Mobike",
            "Lime Ride",
            "Bolt Scooter",
            "Hello Bike",
        ],
        "exclude": [
            "Lime Tree",
            "Lime Leaf",
            "Lime Street",
            "Lime Restaurant",
            "Lime Light",
            "Tier One",
            "Dott Nail",
        ],
    },
    "metro-tram": {
        "merchants": [
            "BART",
            "WMATA",
            "MBTA",
            "SEPTA",
            "CTA",
            "TCL",
            "RMV",
            "KVB",
            "VVS",
            "Rheinbahn",
            "Ustra",
            "Luas",
            "Metrolink",
            "IDF Mobilites",
            "Navigo",
            "STIB",
            "MIVB",
            "Wiener Linien",
            "MVV",
            "VBB",
            "Metro de Paris",
            "Hamburger Hochbahn",
        ],
        "aliases": ["TfL Travel", "MTA NYCT", "TFL.GOV.UK"],
        "exclude": ["RET Retail", "CTA Fitness"],
    },
    "bus": {
        "merchants": [
            "Hermes Groep",
            "Hermes OV",
            "Syntus",
            "Megabus",
            "Greyhound",
            "National Express",
            "First Bus",
            "Lothian Buses",
            "TEC",
            "BlaBlaCar Bus",
            "Twents",
            "Arriva Bus",
            "Go Ahead",
        ],
        "exclude": ["Greyhound Vet"],
    },
    "public-transport": {
        "merchants": [
            "Trans Link Systems",
            "OV-chipkaart",
            "OV chipkaart",
            "Translink",
            "Clipper",
            "Ventra",
            "OMNY",
            "Deutschlandticket",
            "Comutitres",
            "S-Bahn",
            "U-Bahn",
        ],
        "aliases": ["TLS OV-chipkaart", "OV Chip"],
    },
    "second-hand-marketplace": {
        "merchants": [
            "leboncoin",
            "Kleinanzeigen",
            "momox",
            "reBuy",
            "Back Market",
            "ThredUp",
            "Poshmark",
            "Mercari",
            "Label Emmaus",
            "Ubup",
            "Zalando Pre-owned",
            "Vinted Go",
        ],
        "aliases": ["Vestiaire", "Marktplaats Kopen"],
        "exclude": ["Marktplaats Admarkt", "Marktplaats Advertentie", "Momox Ankauf"],
    },
    "second-hand-shop": {
        "merchants": [
            "De Kringwinkel",
            "Kringwinkel",
            "Spullenhulp",
            "Les Petits Riens",
            "Savers",
            "Value Village",
            "Salvation Army Thrift",
            "Salvation Army Family",
            "Plato's Closet",
            "Buffalo Exchange",
            "Crossroads Trading",
            "BHF Shop",
            "BHF Furniture",
            "Sue Ryder Shop",
            "Oxfam Books",
            "Oxfam Bookshop",
            "Oxfam Boekwinkel",
            "Sozialkaufhaus",
            "Kleiderkammer",
            "Stilbruch",
            "Fairkauf",
            "Ding Fring",
            "Guerrisol",
            "Ressourcerie",
            "Recyclerie",
            "Troc",
            "Cash Converters",
            "Goodwill Industries",
            "Goodwill Store",
            "Het Goed Kringloop",
            "Kringloopwarenhuis",
            "Emmaus Winkel",
            "Tweedehandswinkel",
            "Second Hand",
            "Vintage Store",
        ],
        "aliases": ["Kringloop Het Goed", "Stichting Het Goed", "Humana Second Hand"],
        "exclude": [
            "Kringloop Koffie",
            "Kringloop Cafe",
            "Kringloop Restaurant",
            "Humana Insurance",
            "Humana Health",
            "Humana Medicare",
            "Humana Dental",
            "Goodwill Donation",
            "Episode Hair",
            "Troc Auto",
        ],
    },
    "repair": {
        "merchants": [
            "Repair Cafe",
            "Repair Shop",
            "uBreakiFix",
            "Cordonnerie",
            "Schoenmaker",
            "Schuhmacher",
            "Schuhreparatur",
            "Mister Minit",
            "Fixjeiphone",
            "Phone Repair",
            "Naaiatelier",
            "Kleermakerij",
            "Änderungsschneiderei",
        ],
    },
    "rental-sharing": {
        "merchants": [
            "Toolstation Huur",
            "Boels Verhuur",
            "Huurfiets",
            "MyWheels",
            "Greenwheels",
            "Snappcar",
            "Zipcar",
        ]
    },
    "bike-shop": {
        "merchants": [
            "Fietsenmaker",
            "Rijwielhandel",
            "Fietshandel",
            "Tweewielercentrum",
            "Fahrrad",
            "Fahrradladen",
            "Evans Cycles",
            "VanMoof",
            "Rose Bikes",
            "Bike Republic",
            "Bikeshop",
            "Bike Shop",
            "Fietsplan",
        ],
    },
}


def _add_names(catalogue: list[dict]) -> None:
    """Fold ``_RECOGNITION`` into the rules: normalised, de-duplicated, order kept."""
    by_code = {rule["code"]: rule for rule in catalogue}
    for code, names in _RECOGNITION.items():
        rule = by_code[code]
        rule["match_merchants"] = list(
            dict.fromkeys([*rule["match_merchants"], *_merchants(names.get("merchants", []))])
        )
        aliases = [
            a for a in _merchants(names.get("aliases", [])) if a not in rule["match_merchants"]
        ]
        rule["match_aliases"] = list(dict.fromkeys([*rule["match_aliases"], *aliases]))
        rule["exclude_names"] = list(
            dict.fromkeys([*rule["exclude_names"], *_merchants(names.get("exclude", []))])
        )


_add_names(CATALOGUE)

CATALOGUE_BY_CODE: dict[str, dict] = {rule["code"]: rule for rule in CATALOGUE}

_ONE = Decimal(1)


def estimate_grams(rule: dict, amount_eur: Decimal) -> int:
    """Estimated avoided grams CO2e (= energy) for one transaction of ``amount_eur``.

    Uses the absolute amount (the sign only says which way money went), rounds half up to
    whole grams, never returns a negative number and returns 0 for rules that award no energy
    (negative signals). The daily cap is not applied here: it spans a user's whole day.
    """
    if not rule["awards_energy"]:
        return 0
    amount = abs(Decimal(amount_eur))
    kind = rule["estimate_kind"]
    if kind == "fixed":
        grams = Decimal(rule["fixed_grams"])
    elif kind == "per_currency_unit":
        grams = amount * Decimal(rule["grams_per_unit"]) * Decimal(rule["substitution_share"])
    elif kind == "per_km_from_fare":
        fare_per_km = Decimal(rule["fare_per_km"])
        if fare_per_km <= 0:
            return 0
        km = amount / fare_per_km
        grams = km * Decimal(rule["grams_per_km"]) * Decimal(rule["substitution_share"])
    else:
        raise ValueError(f"unknown estimate_kind {kind!r} in rule {rule.get('code')!r}")
    return max(0, int(grams.quantize(_ONE, rounding=ROUND_HALF_UP)))
