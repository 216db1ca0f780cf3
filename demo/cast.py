"""Who is in the living demo: the fixed accounts, their personas and when they linked a bank.

The passwords are fixed and published (README, docs/demo.md) so a newcomer can log in; they
exist only where ``CANOPY_DEMO_ENABLED`` is on, which production refuses.
"""

from __future__ import annotations

from dataclasses import dataclass

#: Every demo account's password. Local use only: production settings refuse the demo.
DEMO_PASSWORD = "canopy-demo-2026"

OPERATOR_EMAIL = "admin@canopy.local"
CONSUMER_EMAIL = "sanne@example.nl"
SPONSOR_EMAIL = "brand@groenewinkel.example"
OTHER_SPONSOR_EMAIL = "team@andermerk.example"

#: Days of daily history every consumer has (the sandbox bank's six weeks).
HISTORY_DAYS = 42
#: The veterans linked their bank this long ago, so the demo has trees planted, verified and
#: survival-checked a year on. Their earlier nights are scored a week at a time.
VETERAN_DAYS = 520

SHARED_ACCOUNT = "sandbox-shared-household"


@dataclass(frozen=True)
class Consumer:
    key: str
    email: str
    name: str
    persona: str  # a persona name of forest.services.economy_simulation.PERSONAS
    linked_days_ago: int = HISTORY_DAYS
    forest: str = "groene-winkel"  # the sponsor slug of the forest their trees grow in
    collects: float = 0.9  # the chance they open the app on a morning
    grows: float = 1.0  # the share of their balance they grow into their tree
    account_ref: str = ""  # a bank account shared with others (the fraud signal)
    species: str = ""  # the species they always grow (else one of their forest's cheapest two)


CONSUMERS: tuple[Consumer, ...] = (
    Consumer("sanne", CONSUMER_EMAIL, "Sanne", "daily train commuter", collects=1.0, grows=0.6),
    Consumer("joost", "joost@example.nl", "Joost", "daily train commuter", VETERAN_DAYS),
    Consumer("fatima", "fatima@example.nl", "Fatima", "city tram + bike user", VETERAN_DAYS),
    Consumer(
        "daan", "daan@example.nl", "Daan", "daily train commuter", VETERAN_DAYS, "andere-merk"
    ),
    # Priya grows willows, planted from March to May: her matured ones wait for the season.
    Consumer(
        "priya",
        "priya@example.nl",
        "Priya",
        "city tram + bike user",
        VETERAN_DAYS,
        "andere-merk",
        species="red-willow",
    ),
    Consumer("eva", "eva@example.nl", "Eva", "second-hand shopper", VETERAN_DAYS),
    Consumer("lars", "lars@example.nl", "Lars", "EV driver", collects=0.7),
    Consumer("mila", "mila@example.nl", "Mila", "city tram + bike user"),
    Consumer("bram", "bram@example.nl", "Bram", "daily train commuter", grows=0.8),
    Consumer("noor", "noor@example.nl", "Noor", "second-hand shopper", collects=0.5),
    Consumer("ruben", "ruben@example.nl", "Ruben", "car driver with occasional train"),
    Consumer("yara", "yara@example.nl", "Yara", "frequent flyer", collects=0.4),
    Consumer("thijs", "thijs@example.nl", "Thijs", "daily train commuter"),
    Consumer("femke", "femke@example.nl", "Femke", "city tram + bike user", collects=0.8),
    Consumer("sem", "sem@example.nl", "Sem", "EV driver"),
    Consumer("lieke", "lieke@example.nl", "Lieke", "second-hand shopper"),
    Consumer(
        "milan", "milan@example.nl", "Milan", "car driver with occasional train", collects=0.6
    ),
    Consumer("sophie", "sophie@example.nl", "Sophie", "daily train commuter", forest="andere-merk"),
    Consumer("jesse", "jesse@example.nl", "Jesse", "frequent flyer", collects=0.3),
    # One bank account linked by three people: the fraud sweep's "shared feed account".
    Consumer(
        "kees", "kees@example.nl", "Kees", "city tram + bike user", account_ref=SHARED_ACCOUNT
    ),
    Consumer("kim", "kim@example.nl", "Kim", "city tram + bike user", account_ref=SHARED_ACCOUNT),
    Consumer(
        "koen", "koen@example.nl", "Koen", "city tram + bike user", account_ref=SHARED_ACCOUNT
    ),
)

#: Sanne's friends (they steal a little and water her tree now and then).
FRIENDS = ("joost", "fatima", "bram", "mila", "noor", "thijs", "lieke")
#: Friendships between the others.
OTHER_FRIENDS = (("joost", "daan"), ("fatima", "priya"), ("bram", "thijs"), ("eva", "lieke"))
#: The office team growing an oak together (Sanne invites them).
TEAM_NAME = "Kantoor Utrecht"
TEAM = ("sanne", "bram", "thijs", "femke", "sem")
